package sloengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxPromBody bounds a Prometheus answer: a day of minute samples of a few
// hundred series is well below it.
const maxPromBody = 32 << 20

// promClient queries a Prometheus-compatible HTTP API.
type promClient struct {
	http *http.Client
}

// sample is the sum of a query's series at one instant.
type sample struct {
	At    time.Time
	Value float64
}

// instant runs an instant query at t; ok is false when the query returned
// no series (no data for that instant).
func (c promClient) instant(ctx context.Context, base, query string, t time.Time) (float64, bool, error) {
	form := url.Values{"query": {query}, "time": {formatTime(t)}}
	samples, err := c.call(ctx, base, "/api/v1/query", form)
	if err != nil {
		return 0, false, err
	}
	if len(samples) == 0 {
		return 0, false, nil
	}
	return samples[0].Value, true, nil
}

// rangeQuery runs a range query over [start, end] at step; the result has
// one sample per instant that had data, in time order.
func (c promClient) rangeQuery(ctx context.Context, base, query string, start, end time.Time, step time.Duration) ([]sample, error) {
	form := url.Values{
		"query": {query}, "start": {formatTime(start)}, "end": {formatTime(end)},
		"step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)},
	}
	return c.call(ctx, base, "/api/v1/query_range", form)
}

func (c promClient) call(ctx context.Context, base, path string, form url.Values) ([]sample, error) {
	endpoint := strings.TrimRight(base, "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("prometheus query: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("prometheus query: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPromBody+1))
	if err != nil {
		return nil, fmt.Errorf("prometheus query: read answer: %w", err)
	}
	if len(body) > maxPromBody {
		return nil, fmt.Errorf("prometheus query: answer larger than %d MiB", maxPromBody>>20)
	}
	samples, err := parsePromResponse(body)
	if err != nil {
		return nil, fmt.Errorf("prometheus query %s (HTTP %d): %w", endpoint, resp.StatusCode, err)
	}
	return samples, nil
}

func formatTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)
}

// promResponse is the envelope of every Prometheus API answer.
type promResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// parsePromResponse reads a query answer into the sums of its series at
// each instant, in time order. Scalars count as one series; NaN and
// infinite values (a ratio over no events) are left out, as if absent.
func parsePromResponse(body []byte) ([]sample, error) {
	var r promResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("malformed answer: %w", err)
	}
	if r.Status != "success" {
		if r.Error != "" {
			return nil, fmt.Errorf("%s: %s", r.ErrorType, truncate(r.Error, 300))
		}
		return nil, fmt.Errorf("status %q", truncate(r.Status, 50))
	}
	sums := map[int64]float64{}
	add := func(pair []json.RawMessage) error {
		at, v, err := parsePair(pair)
		if err != nil {
			return err
		}
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			sums[at] += v
		}
		return nil
	}
	switch r.Data.ResultType {
	case "vector":
		var series []struct {
			Value []json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(r.Data.Result, &series); err != nil {
			return nil, fmt.Errorf("malformed vector: %w", err)
		}
		for _, s := range series {
			if err := add(s.Value); err != nil {
				return nil, err
			}
		}
	case "matrix":
		var series []struct {
			Values [][]json.RawMessage `json:"values"`
		}
		if err := json.Unmarshal(r.Data.Result, &series); err != nil {
			return nil, fmt.Errorf("malformed matrix: %w", err)
		}
		for _, s := range series {
			for _, v := range s.Values {
				if err := add(v); err != nil {
					return nil, err
				}
			}
		}
	case "scalar":
		var pair []json.RawMessage
		if err := json.Unmarshal(r.Data.Result, &pair); err != nil {
			return nil, fmt.Errorf("malformed scalar: %w", err)
		}
		if err := add(pair); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unexpected result type %q: the query must return numbers", truncate(r.Data.ResultType, 50))
	}
	out := make([]sample, 0, len(sums))
	for ms, v := range sums {
		if !math.IsInf(v, 0) { // finite values may still add up beyond float64
			out = append(out, sample{At: time.UnixMilli(ms).UTC(), Value: v})
		}
	}
	sortSamples(out)
	return out, nil
}

// parsePair reads [unix seconds, "value"] into milliseconds and a value.
func parsePair(pair []json.RawMessage) (int64, float64, error) {
	if len(pair) != 2 {
		return 0, 0, errors.New("a sample is [time, \"value\"]")
	}
	var secs float64
	if err := json.Unmarshal(pair[0], &secs); err != nil || math.IsNaN(secs) || secs < 0 || secs > 1e11 {
		return 0, 0, fmt.Errorf("invalid sample time %.40s", pair[0])
	}
	var text string
	if err := json.Unmarshal(pair[1], &text); err != nil {
		return 0, 0, fmt.Errorf("invalid sample value %.40s", pair[1])
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, 0, fmt.Errorf("invalid sample value %q", truncate(text, 40))
	}
	return int64(math.Round(secs * 1000)), v, nil
}

func sortSamples(s []sample) {
	sort.Slice(s, func(i, j int) bool { return s[i].At.Before(s[j].At) })
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
