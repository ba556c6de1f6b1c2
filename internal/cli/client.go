package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"
)

// client talks to a Vigil server's REST API.
type client struct {
	base  string
	token string
	http  *http.Client
}

// serverFlag adds the --server flag of the commands that talk to a server.
func serverFlag(fs *flag.FlagSet) *string {
	return fs.String("server", "", "server URL (default $VIGIL_SERVER); the token comes from $VIGIL_TOKEN")
}

// newClient resolves the server from the flag or VIGIL_SERVER and the token
// from VIGIL_TOKEN.
func newClient(server string, env Env) (*client, error) {
	if server == "" {
		server = env.Getenv("VIGIL_SERVER")
	}
	if server == "" {
		return nil, fmt.Errorf("no server: pass --server URL or set VIGIL_SERVER")
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid server URL %q: want http(s)://host:port", server)
	}
	return &client{
		base:  strings.TrimRight(server, "/"),
		token: env.Getenv("VIGIL_TOKEN"),
		http:  &http.Client{Timeout: 60 * time.Second},
	}, nil
}

// apiError is an error answer from the server.
type apiError struct {
	Status   int
	Code     string `json:"code"`
	Message  string `json:"message"`
	Problems []struct {
		Path    string `json:"path"`
		Message string `json:"message"`
	} `json:"problems"`
}

func (e *apiError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "server answered %d: %s", e.Status, e.Message)
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s: %s", p.Path, p.Message)
	}
	return b.String()
}

// do sends a request with an optional JSON body and decodes a JSON answer
// into out (when non-nil); a *[]byte out takes the answer as it came.
func (c *client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		e := &apiError{Status: resp.StatusCode}
		if json.Unmarshal(data, e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(data))
		}
		return e
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = data
		return nil
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// getAll reads every page of a list endpoint: path with the query q, to
// which getAll adds the limit and the cursor. field names the answer's
// array, whose items are decoded into T. A next_cursor that is missing,
// empty or the same as the last one ends the list, so that a server
// repeating itself cannot keep the command looping.
func getAll[T any](ctx context.Context, c *client, path string, q url.Values, field string) ([]T, error) {
	query := "limit=1000"
	if len(q) > 0 {
		query = q.Encode() + "&" + query
	}
	var all []T
	cursor := ""
	for {
		next := path + "?" + query
		if cursor != "" {
			next += "&cursor=" + url.QueryEscape(cursor)
		}
		var page map[string]json.RawMessage
		if err := c.do(ctx, "GET", next, nil, &page); err != nil {
			return nil, err
		}
		var items []T
		if raw, ok := page[field]; ok {
			if err := json.Unmarshal(raw, &items); err != nil {
				return nil, fmt.Errorf("GET %s: decode %s: %w", path, field, err)
			}
		}
		all = append(all, items...)
		var nextCursor string
		if raw, ok := page["next_cursor"]; ok {
			// null leaves nextCursor empty.
			if err := json.Unmarshal(raw, &nextCursor); err != nil {
				return nil, fmt.Errorf("GET %s: decode next_cursor: %w", path, err)
			}
		}
		if nextCursor == "" || nextCursor == cursor {
			return all, nil
		}
		cursor = nextCursor
	}
}

// printList gets one page of a list (field names its items in the answer)
// and prints it: as JSON, or as a table of header and a row for each item.
func printList[T any](ctx context.Context, c *client, path, field string, asJSON bool, env Env, header string, row func(T) string) error {
	items, err := getList(ctx, c, path, field)
	if err != nil {
		return err
	}
	if asJSON {
		printJSON(env, items)
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, raw := range items {
		var v T
		if json.Unmarshal(raw, &v) == nil {
			fmt.Fprintln(tw, row(v))
		}
	}
	return tw.Flush()
}

// getList gets one page of a list: the items under field in the answer.
func getList(ctx context.Context, c *client, path, field string) ([]json.RawMessage, error) {
	var page map[string]json.RawMessage
	if err := c.do(ctx, "GET", path, nil, &page); err != nil {
		return nil, err
	}
	var items []json.RawMessage
	if err := json.Unmarshal(page[field], &items); err != nil {
		return nil, fmt.Errorf("read the %s: %w", field, err)
	}
	return items, nil
}

// printJSON prints v as indented JSON on standard output.
func printJSON(env Env, v any) {
	out, _ := json.MarshalIndent(v, "", "  ")
	fmt.Fprintln(env.Stdout, string(out))
}
