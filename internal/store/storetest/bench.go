package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/vigil-oncall/vigil/internal/store"
)

// Bench measures the store's write and read paths; backends call it from a
// Benchmark function. newStore is as for Run.
func Bench(b *testing.B, newStore func(b *testing.B) store.Store) {
	body := []byte(`{"name":"Checkout","owner":"shop","tier":1,"integrations":[{"type":"pagerduty","key":"0123456789abcdef"}]}`)
	for _, size := range []int{1, 100} {
		b.Run(fmt.Sprintf("ApplyChanges/%d_objects", size), func(b *testing.B) {
			s := newStore(b)
			ctx := context.Background()
			n := 0
			for b.Loop() {
				changes := make([]store.Change, size)
				for i := range changes {
					n++
					changes[i] = store.Change{Object: store.Object{Kind: store.KindService, ID: fmt.Sprintf("svc-%d", n),
						Body: body, Source: store.SourceConfig, UpdatedAt: t0}}
				}
				audit := []store.AuditEntry{{At: t0, Actor: "config", Action: "config.apply", Details: "bench"}}
				if err := s.ApplyChanges(ctx, changes, audit); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "objects/s")
		})
	}
	b.Run("ListObjects/1000_objects", func(b *testing.B) {
		s := newStore(b)
		ctx := context.Background()
		changes := make([]store.Change, 1000)
		for i := range changes {
			changes[i] = store.Change{Object: store.Object{Kind: store.KindService, ID: fmt.Sprintf("svc-%04d", i),
				Body: body, Source: store.SourceConfig, UpdatedAt: t0}}
		}
		if err := s.ApplyChanges(ctx, changes, nil); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			objects, err := s.ListObjects(ctx, "")
			if err != nil || len(objects) != 1000 {
				b.Fatalf("ListObjects: %d objects, %v", len(objects), err)
			}
		}
	})
}
