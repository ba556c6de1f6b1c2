package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
	"github.com/vigil-oncall/vigil/internal/store/storetest"
)

func TestPipelineFile(t *testing.T) { storetest.RunPipeline(t, fileStore) }

func TestPipelineMemory(t *testing.T) { storetest.RunPipeline(t, memoryStore) }

// go test -run '^$' -bench AppendInbox -count 5 ./internal/store/sqlite/
func BenchmarkAppendInbox(b *testing.B) { storetest.BenchAppendInbox(b, benchStore) }

// FuzzInboxRoundTrip: an event the inbox accepts is valid JSON with
// storable text, and comes back byte for byte; one it refuses leaves the
// inbox as it was.
func FuzzInboxRoundTrip(f *testing.F) {
	ctx := context.Background()
	s, err := Open(ctx, MemoryPath)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		f.Fatal(err)
	}
	f.Add("alert", "am-payments", "checkout", []byte(`{"action":"trigger","dedup_key":"a"}`))
	f.Add("change", "", "", []byte(" {\"a\": \"\\u0000\"}\n"))
	f.Add("", "k", "s", []byte(`{}`))
	f.Add("alert", "k\x00", "s", []byte(`{}`))
	f.Add("alert", "k", "\xff", []byte(`{}`))
	f.Add("alert", "k", "s", []byte("{\"a\":\"\xff\"}"))
	f.Add("alert", "k", "s", []byte(`{"a":1,}`))
	f.Add("alert", "k", "s", []byte(strings.Repeat("[", 2000)+strings.Repeat("]", 2000)))
	f.Add("alert", "k", "s", []byte(`NaN`))
	f.Add("alert", "k", "s", []byte("0\x00")) // json_valid stopped at the NUL
	receivedAt := time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)
	f.Fuzz(func(t *testing.T, kind, key, service string, payload []byte) {
		in := store.InboxEvent{ReceivedAt: receivedAt, Kind: kind, IntegrationKey: key, Service: service, Payload: payload}
		events := []store.InboxEvent{in}
		err := s.AppendInbox(ctx, events)
		var taken []store.InboxEvent
		if err := s.Update(ctx, func(tx store.Tx) error {
			var err error
			taken, err = tx.TakeInbox(10)
			return err
		}); err != nil {
			t.Fatalf("TakeInbox: %v", err)
		}
		if err != nil {
			if len(taken) != 0 {
				t.Fatalf("a refused event was stored: %+v", taken)
			}
			return
		}
		storable := kind != "" && sqlbackend.CheckTexts("text", kind, key, service) == nil && utf8.Valid(payload) && json.Valid(payload)
		if !storable {
			t.Fatalf("AppendInbox accepted kind %q key %q service %q payload %q", kind, key, service, payload)
		}
		if len(taken) != 1 {
			t.Fatalf("took %d events, want the one appended", len(taken))
		}
		got := taken[0]
		if got.ID != events[0].ID || got.Kind != kind || got.IntegrationKey != key || got.Service != service ||
			!bytes.Equal(got.Payload, payload) || !got.ReceivedAt.Equal(receivedAt) {
			t.Fatalf("took %+v, want %+v", got, in)
		}
	})
}
