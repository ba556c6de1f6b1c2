package org

import (
	"sync"

	"github.com/vigil-oncall/vigil/internal/correlate"
)

// lazyIndex holds a snapshot's correlation index once it is built.
type lazyIndex struct {
	once  sync.Once
	index *correlate.Index
}

// Correlation is the index that decides which alerts of this configuration
// join which incidents (org.correlation_hub_share sets its hubs). It is
// built on first use, once per snapshot: a configuration write does not pay
// for walking a large graph that no alert may need before the next write.
func (s *Snapshot) Correlation() *correlate.Index {
	s.correlation.once.Do(func() {
		s.correlation.index = correlate.NewIndex(s.Graph, correlate.IndexOptions{HubShare: s.Bundle.Org.CorrelationHubShare})
	})
	return s.correlation.index
}
