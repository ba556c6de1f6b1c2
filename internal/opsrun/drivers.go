package opsrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/ops"
)

// send executes a prepared call within its timeout: it returns what the
// platform answered or the program printed, and why the run failed (nil:
// a 2xx answer, or exit status 0).
func (r *Runner) send(ctx context.Context, p *ops.Prepared) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	var out string
	var err error
	if p.Send.URL != "" {
		out, err = r.sendHTTP(ctx, p.Send)
	} else {
		out, err = r.runProgram(ctx, p.Send)
	}
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("it did not finish within its %s timeout: %w", duration.Format(p.Timeout), err)
	}
	return clean(out), err
}

// sendHTTP sends the request of an http driver.
func (r *Runner) sendHTTP(ctx context.Context, c ops.Call) (string, error) {
	var body io.Reader
	if c.Body != "" {
		body = strings.NewReader(c.Body)
	}
	req, err := http.NewRequestWithContext(ctx, c.Method, c.URL, body)
	if err != nil {
		return "", fmt.Errorf("the request cannot be made: %w", err)
	}
	for _, h := range c.Headers {
		req.Header.Set(h.Name, h.Value)
	}
	req.Header.Set("User-Agent", "vigil-operations")
	resp, err := r.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("the platform did not answer: %w", err)
	}
	defer resp.Body.Close()
	answer, readErr := io.ReadAll(io.LimitReader(resp.Body, ops.MaxOutput+1))
	out := "HTTP " + resp.Status + "\n" + string(answer)
	switch {
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return out, fmt.Errorf("the platform answered %s", resp.Status)
	case readErr != nil:
		return out, fmt.Errorf("the platform's answer broke off: %w", readErr)
	}
	return out, nil
}

// waitDelay is how long a killed program's children may hold its output
// open before the run stops waiting for them.
const waitDelay = 2 * time.Second

// runProgram runs the program of an exec driver with its argument vector,
// never through a shell, in an environment of PATH and the driver's own
// variables alone; stdout and stderr are captured, each bounded.
func (r *Runner) runProgram(ctx context.Context, c ops.Call) (string, error) {
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	cmd.Env = append([]string{"PATH=" + r.getenv("PATH")}, c.Env...)
	stdout, stderr := &capped{max: ops.MaxOutput / 2}, &capped{max: ops.MaxOutput / 2}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = waitDelay
	killGroup(cmd)
	err := cmd.Run()
	out := stdout.String()
	if e := stderr.String(); e != "" {
		if out != "" && !strings.HasSuffix(out, "\n") {
			out += "\n"
		}
		out += "--- stderr ---\n" + e
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out, nil
	case errors.As(err, &exit) && exit.Exited():
		return out, fmt.Errorf("%s exited with status %d", c.Argv[0], exit.ExitCode())
	case errors.As(err, &exit):
		return out, fmt.Errorf("%s was stopped: %s", c.Argv[0], exit.ProcessState)
	}
	return out, fmt.Errorf("%s: %w", c.Argv[0], err)
}

// capped keeps the first max bytes written to it and notes the rest.
type capped struct {
	buf []byte
	max int
	cut int
}

func (c *capped) Write(p []byte) (int, error) {
	room := max(c.max-len(c.buf), 0)
	keep := min(room, len(p))
	c.buf = append(c.buf, p[:keep]...)
	c.cut += len(p) - keep
	return len(p), nil
}

func (c *capped) String() string {
	if c.cut > 0 {
		return string(c.buf) + fmt.Sprintf("\n… (%d more bytes cut)\n", c.cut)
	}
	return string(c.buf)
}

// clean makes output storable text: invalid UTF-8 and NUL bytes, which a
// program may print, become U+FFFD.
func clean(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
