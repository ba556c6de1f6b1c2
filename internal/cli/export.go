package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"

	"github.com/vigil-oncall/vigil/internal/simulate"
)

const exportUsage = `Usage: vigil export <verb> [flags]

Verbs:
  history --from TIME --to TIME [-o FILE]   the server's alert history as JSON lines, for vigil simulate
`

func exportVerbs() verbs { return verbs{"history": runExportHistory} }

// runExportHistory writes the alerts a server opened in a period as JSON
// lines, oldest first: the history vigil simulate replays.
func runExportHistory(ctx context.Context, args []string, env Env) int {
	fs := newFlags("export history", "--from TIME --to TIME [-o FILE] [--server URL]\n\nTIME is RFC 3339 or a date (midnight UTC); the default period is the 30 days to now.", env)
	from := fs.String("from", "", "start of the period, inclusive (default: 30 days before --to)")
	to := fs.String("to", "", "end of the period, exclusive (default: now)")
	out := fs.String("o", "", "write to this file instead of standard output")
	server := serverFlag(fs)
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	q := url.Values{"limit": {"1000"}}
	if !periodQuery("export history", *from, *to, q, env) {
		return exitError
	}
	c, err := newClient(*server, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil export history: %v\n", err)
		return exitError
	}
	var alerts []simulate.Alert
	for {
		var page struct {
			Alerts     []simulate.Alert `json:"alerts"`
			NextCursor *string          `json:"next_cursor"`
		}
		if err := c.do(ctx, "GET", "/api/v1/history/alerts?"+q.Encode(), nil, &page); err != nil {
			fmt.Fprintf(env.Stderr, "vigil export history: %v\n", err)
			return exitError
		}
		alerts = append(alerts, page.Alerts...)
		if page.NextCursor == nil {
			break
		}
		q.Set("cursor", *page.NextCursor)
	}
	slices.Reverse(alerts) // pages come newest first
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, a := range alerts {
		if err := enc.Encode(a); err != nil {
			fmt.Fprintf(env.Stderr, "vigil export history: %v\n", err)
			return exitError
		}
	}
	return writeOut(env, "export history", *out, buf.Bytes(), fmt.Sprintf("wrote %s (%d alerts)", *out, len(alerts)))
}
