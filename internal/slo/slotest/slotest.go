// Package slotest holds the OpenSLO fixture that the tests of several
// packages share, so that the SLO they build on is written once.
package slotest

import (
	"fmt"
	"strings"
)

// CheckoutAvailability is the SLO of the configuration contract's example:
// checkout's requests, counted by what is pushed to Vigil, 99.9% good over
// 28 rolling days. It is one YAML document, to follow "---" in a
// configuration file. Tests that need it otherwise say how with Edit.
const CheckoutAvailability = `apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-availability}
spec:
  service: checkout
  indicator:
    metadata: {name: checkout-requests}
    spec:
      ratioMetric:
        counter: true
        good:  {metricSource: {type: vigil-push}}
        total: {metricSource: {type: vigil-push}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{displayName: available, target: 0.999}]
`

// Over30Days is the edit that makes the window 30 days, where the default
// tiers are the SRE Workbook's own (page-1h above a burn rate of 14.4).
var Over30Days = []string{"duration: 28d", "duration: 30d"}

// Edit returns doc with each old string (oldnew[0], [2]…) replaced, once,
// by the new one that follows it. It panics when an old string is not in
// the text, so that a test whose edit no longer applies fails at once
// instead of testing the unedited fixture.
func Edit(doc string, oldnew ...string) string {
	if len(oldnew)%2 != 0 {
		panic("slotest.Edit: an old string without its new one")
	}
	for i := 0; i < len(oldnew); i += 2 {
		if !strings.Contains(doc, oldnew[i]) {
			panic(fmt.Sprintf("slotest.Edit: %q is not in the fixture", oldnew[i]))
		}
		doc = strings.Replace(doc, oldnew[i], oldnew[i+1], 1)
	}
	return doc
}
