package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-oncall/vigil/internal/loadgen"
)

func runBench(ctx context.Context, args []string, env Env) int {
	fs := newFlags("bench", "[--server URL --key KEY | --alertmanager-url URL] [--concurrency N] [--duration D | --requests N] [--rate R] [--receiver ADDR]", env)
	server := fs.String("server", "", "Vigil server to drive (default $VIGIL_SERVER, else http://127.0.0.1:8080)")
	key := fs.String("key", "", "a pagerduty integration key of that server: events go to /v2/enqueue")
	amURL := fs.String("alertmanager-url", "", "drive this Alertmanager's /api/v2/alerts instead of Vigil")
	concurrency := fs.Int("concurrency", 64, "requests in flight at most")
	duration := fs.Duration("duration", 10*time.Second, "how long to send (0: until --requests are sent)")
	requests := fs.Int64("requests", 0, "stop after this many requests (0: no limit but --duration)")
	unique := fs.Bool("unique", true, "give every event a dedup key of its own (each opens an alert and pages); false repeats one alert")
	rate := fs.Float64("rate", 0, "send this many events per second on schedule (0: as fast as the server answers)")
	receiver := fs.String("receiver", "", "listen on this loopback HOST:PORT for the webhook pages and measure trigger-to-page latency (with --alertmanager-url: a sink for its notifications)")
	drain := fs.Duration("drain", 10*time.Second, "with --receiver: how long to wait for missing pages after sending")
	allowRemote := fs.Bool("allow-remote", false, "allow a server or Alertmanager that is not on a loopback address")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "vigil bench: "+format+"\n", a...)
		return exitError
	}

	run := loadgen.NewRunID()
	var target loadgen.Target
	var url, what string
	switch {
	case *amURL != "" && *key != "":
		return fail("--key and --alertmanager-url exclude each other")
	case *amURL != "":
		t, err := loadgen.NewAlertmanager(*amURL, run, *unique)
		if err != nil {
			return fail("%v", err)
		}
		target, url, what = t, *amURL, "Alertmanager "+*amURL+" /api/v2/alerts"
	case *key != "":
		url = *server
		if url == "" {
			url = env.Getenv("VIGIL_SERVER")
		}
		if url == "" {
			url = "http://127.0.0.1:8080"
		}
		t, err := loadgen.NewPagerDuty(url, *key, run, *unique)
		if err != nil {
			return fail("%v", err)
		}
		target, what = t, "Vigil "+url+" /v2/enqueue"
	default:
		return fail("pass --key (a pagerduty integration key of the server) or --alertmanager-url")
	}
	if err := loadgen.CheckLoopback(url); err != nil && !*allowRemote {
		return fail("%v (pass --allow-remote to drive it anyway)", err)
	}

	opts := loadgen.Options{
		Target: target, Concurrency: *concurrency, Duration: *duration, Requests: *requests,
		Rate: *rate, Drain: *drain,
	}
	var rcv *loadgen.Receiver
	if *receiver != "" {
		var err error
		if rcv, err = loadgen.StartReceiver(*receiver, nil); err != nil {
			return fail("%v", err)
		}
		defer rcv.Close()
		if *amURL == "" { // Alertmanager pages nobody: its receiver is a sink
			opts.Receiver = rcv
		}
	}
	mode := "as fast as answered"
	if *rate > 0 {
		mode = fmt.Sprintf("%g events/s on schedule", *rate)
	}
	if !*asJSON {
		fmt.Fprintf(env.Stdout, "driving %s: %d clients, %s, run %s\n", what, *concurrency, mode, run)
	}
	res, err := loadgen.Run(ctx, opts)
	if res == nil {
		return fail("%v", err)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil bench: stopped early: %v\n", err)
	}
	if *asJSON {
		err = res.WriteJSON(env.Stdout)
	} else {
		err = res.WriteTable(env.Stdout)
	}
	if err != nil {
		return fail("write result: %v", err)
	}
	if rcv != nil && !*asJSON {
		fmt.Fprintf(env.Stdout, "other notifications      %d at the receiver\n", rcv.Stats().Other)
	}
	if res.OK == 0 {
		fmt.Fprintln(env.Stderr, "vigil bench: no request was accepted")
		return exitFail
	}
	return exitOK
}
