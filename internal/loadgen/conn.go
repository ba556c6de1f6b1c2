package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// requestTimeout bounds one request of the raw client.
const requestTimeout = 30 * time.Second

// poster sends one JSON POST and returns the answer's status code.
type poster interface {
	post(ctx context.Context, target string, body []byte) (int, error)
	close()
}

// clientPoster sends through an http.Client.
type clientPoster struct{ client *http.Client }

func (p clientPoster) post(ctx context.Context, target string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBody))
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (clientPoster) close() {}

// rawPoster is one worker's keep-alive HTTP/1.1 connection, which only
// that worker writes and reads. The standard client hands every request
// between goroutines (the caller's, a writer's and a reader's), which on a
// busy machine costs the load generator more than the request itself and
// would measure the generator instead of the server. It speaks plain http
// only.
type rawPoster struct {
	ctx    context.Context
	conn   net.Conn
	br     *bufio.Reader
	stop   func() bool // ends the watch that unblocks conn when ctx ends
	target string      // the URL the head below is for
	addr   string
	head   []byte // the request up to the Content-Length value
	buf    []byte
}

func newRawPoster(ctx context.Context) *rawPoster { return &rawPoster{ctx: ctx} }

func (p *rawPoster) post(ctx context.Context, target string, body []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if target != p.target {
		if err := p.prepare(target); err != nil {
			return 0, err
		}
	}
	if p.conn == nil {
		if err := p.dial(); err != nil {
			return 0, err
		}
	}
	status, reusable, err := p.roundTrip(body)
	if err != nil || !reusable {
		p.close()
	}
	return status, err
}

// prepare parses target and writes the request head once.
func (p *rawPoster) prepare(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	if u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("raw client: %q is not an http://host URL", target)
	}
	p.close()
	p.addr = u.Host
	if u.Port() == "" {
		p.addr = net.JoinHostPort(u.Hostname(), "80")
	}
	p.head = fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: vigil-bench\r\nContent-Type: application/json\r\nContent-Length: ",
		u.RequestURI(), u.Host)
	p.target = target
	return nil
}

func (p *rawPoster) dial() error {
	var d net.Dialer
	conn, err := d.DialContext(p.ctx, "tcp", p.addr)
	if err != nil {
		return err
	}
	p.conn = conn
	p.br = bufio.NewReaderSize(conn, 4096)
	// A cancelled run must not wait for a slow answer.
	p.stop = context.AfterFunc(p.ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return nil
}

// roundTrip writes the request and reads the answer; reusable says whether
// the connection may carry the next one.
func (p *rawPoster) roundTrip(body []byte) (status int, reusable bool, err error) {
	if err := p.conn.SetDeadline(time.Now().Add(requestTimeout)); err != nil {
		return 0, false, err
	}
	p.buf = append(p.buf[:0], p.head...)
	p.buf = strconv.AppendInt(p.buf, int64(len(body)), 10)
	p.buf = append(p.buf, "\r\n\r\n"...)
	p.buf = append(p.buf, body...)
	if _, err := p.conn.Write(p.buf); err != nil {
		return 0, false, p.cancelled(err)
	}
	resp, err := http.ReadResponse(p.br, nil)
	if err != nil {
		return 0, false, p.cancelled(err)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBody+1))
	resp.Body.Close()
	if err != nil {
		return 0, false, p.cancelled(err)
	}
	return resp.StatusCode, !resp.Close && n <= maxAnswerBody, nil
}

// cancelled reports a cancelled run as such rather than as a timeout.
func (p *rawPoster) cancelled(err error) error {
	if ctxErr := p.ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return fmt.Errorf("no answer within %s: %w", requestTimeout, err)
	}
	return err
}

func (p *rawPoster) close() {
	if p.conn == nil {
		return
	}
	p.stop()
	p.conn.Close()
	p.conn, p.br, p.stop = nil, nil, nil
}
