package guardtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/internal/detect"
	"github.com/lambdaguard/lambdaguard/internal/taint"
)

// Result is what one invocation returned and what the guard found.
type Result[TOut any] struct {
	RequestID string
	Output    TOut
	Err       error
	Panic     any // the value the handler panicked with, if it did
	Findings  []guard.Finding
}

// Config adjusts a run. The zero Config runs the events one after another.
type Config struct {
	// Concurrency runs up to this many invocations at once, as
	// aws-lambda-go does with AWS_LAMBDA_MAX_CONCURRENCY > 1. 0 or 1: one
	// at a time.
	Concurrency int
	// Timeout is each invocation's deadline; 0 means 30 seconds.
	Timeout time.Duration
	// GuardOptions are added to the guard's (debug mode and the reporter
	// are always set).
	GuardOptions []guard.Option
}

// Run invokes h once per event, in order, in this process, with the guard in
// debug mode, and fails t (without stopping it) for every finding, printed
// readably. It returns each invocation's result. Errors and panics of the
// handler are results, not failures: a test asserts on them as it likes.
func Run[TIn, TOut any](t testing.TB, h func(context.Context, TIn) (TOut, error), events ...TIn) []Result[TOut] {
	t.Helper()
	return RunConfig(t, Config{}, h, events...)
}

// RunConcurrent is Run with up to n invocations at once.
func RunConcurrent[TIn, TOut any](t testing.TB, n int, h func(context.Context, TIn) (TOut, error), events ...TIn) []Result[TOut] {
	t.Helper()
	return RunConfig(t, Config{Concurrency: n}, h, events...)
}

// RunConfig is Run with a Config.
func RunConfig[TIn, TOut any](t testing.TB, cfg Config, h func(context.Context, TIn) (TOut, error), events ...TIn) []Result[TOut] {
	t.Helper()
	results, err := Check(cfg, h, events...)
	if err != nil {
		t.Fatal(err)
	}
	if msg := Describe(results); msg != "" {
		t.Error(msg)
	}
	return results
}

// Check runs the events as RunConfig does and returns the results with their
// findings, for tests that expect findings. The guard's temp base is a new
// directory, removed at the end, unless GuardOptions set one; TMPDIR points
// at it while the run lasts, so that files the handler makes with
// os.CreateTemp("", …) or under os.TempDir() are seen. When the run ends,
// the shared resources (guard.NewShared, guard.SharedHTTPClient) are closed
// and forgotten, so that the next test builds its own. Runs of parallel tests
// share the directory, TMPDIR and the reset, which comes when the last of
// them ends; a parallel test that makes temp files of its own meanwhile
// makes them there too. The error is about the run itself (the temp base
// could not be made), never about the handler.
func Check[TIn, TOut any](cfg Config, h func(context.Context, TIn) (TOut, error), events ...TIn) ([]Result[TOut], error) {
	base, release, err := acquire()
	if err != nil {
		return nil, err
	}
	defer release()
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	n := max(cfg.Concurrency, 1)

	results := make([]Result[TOut], len(events))
	var mu sync.Mutex
	byID := map[string]int{}
	report := func(r guard.Report) {
		mu.Lock()
		defer mu.Unlock()
		if i, ok := byID[r.InvocationID]; ok {
			results[i].Findings = append(results[i].Findings, r.Findings...)
		}
	}
	opts := append([]guard.Option{guard.WithTempBase(base)}, cfg.GuardOptions...)
	opts = append(opts, guard.WithDebug(true), guard.WithReporter(report))
	wrapped := guard.Wrap(h, opts...)

	prefix := fmt.Sprintf("guardtest-%d", time.Now().UnixNano()%1_000_000)
	sem := make(chan struct{}, n) // of 1: each invocation starts once the one before has its result
	var wg sync.WaitGroup
	for i, ev := range events {
		id := fmt.Sprintf("%s-%04d", prefix, i+1)
		mu.Lock()
		byID[id] = i
		results[i].RequestID = id
		mu.Unlock()
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out, p, err := invoke(wrapped, id, cfg.Timeout, ev)
			mu.Lock()
			results[i].Output, results[i].Err, results[i].Panic = out, err, p
			mu.Unlock()
		}()
	}
	wg.Wait()
	checkResponses(results, events, n > 1)
	return results, nil
}

// Watch registers a package-level variable for debug-mode checks, as
// guard.Watch does, for the rest of the test: the registration is removed
// when the test and its subtests end.
func Watch(t testing.TB, name string, ptr any, opts ...guard.WatchOption) {
	t.Helper()
	guard.Watch(name, ptr, opts...)
	t.Cleanup(func() { detect.Unregister(name) })
}

func invoke[TIn, TOut any](h func(context.Context, TIn) (TOut, error), id string, timeout time.Duration, ev TIn) (out TOut, p any, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: id})
	defer func() { p = recover() }()
	out, err = h(ctx, ev)
	return out, nil, err
}

// checkResponses looks in each response for strings of an earlier
// invocation's request (of any other one when they ran concurrently) that
// the invocation's own request does not carry.
func checkResponses[TIn, TOut any](results []Result[TOut], events []TIn, concurrent bool) {
	reqs := make([]taint.Request, len(events))
	for i, ev := range events {
		reqs[i] = taint.NewRequest(i+1, ev, results[i].RequestID)
	}
	for i := range results {
		if results[i].Panic != nil {
			continue
		}
		b, err := json.Marshal(results[i].Output)
		if err != nil {
			continue
		}
		others := reqs[:i]
		if concurrent {
			others = slices.Concat(reqs[:i], reqs[i+1:])
		}
		for _, c := range taint.FindCrosstalk(b, reqs[i], others) {
			results[i].Findings = append(results[i].Findings, guard.Finding{
				Kind:   guard.KindTaint,
				Name:   "response",
				Path:   "response",
				Detail: c.Detail(),
			})
		}
	}
}

// Describe renders the findings of results readably, one line each, grouped
// by invocation; it returns "" when there are none.
func Describe[TOut any](results []Result[TOut]) string {
	var b strings.Builder
	total := 0
	for i, r := range results {
		if len(r.Findings) == 0 {
			continue
		}
		total += len(r.Findings)
		fmt.Fprintf(&b, "\ninvocation %d of %d (%s): %d finding(s)\n", i+1, len(results), r.RequestID, len(r.Findings))
		for _, f := range r.Findings {
			where := f.Path
			if where == "" {
				where = f.Name
			}
			fmt.Fprintf(&b, "    %-9s %s: %s", f.Kind, where, f.Detail)
			if len(f.InFlight) > 1 {
				fmt.Fprintf(&b, " [invocations in flight: %s]", strings.Join(f.InFlight, ", "))
			}
			b.WriteByte('\n')
		}
	}
	if total == 0 {
		return ""
	}
	return fmt.Sprintf("guardtest: %d finding(s): state outlived an invocation%s", total, b.String())
}

// Findings returns every finding of results, in invocation order.
func Findings[TOut any](results []Result[TOut]) []guard.Finding {
	var out []guard.Finding
	for _, r := range results {
		out = append(out, r.Findings...)
	}
	return out
}

// runs is what the runs in progress share: the temp base TMPDIR points at
// while any runs. Package-level because TMPDIR is process-wide; guarded by
// its mutex.
var runs struct {
	mu     sync.Mutex
	n      int
	base   string
	tmpdir string
	hadTmp bool
}

// acquire makes the run's temp base (or joins the one of the runs in
// progress) and points TMPDIR at it. release undoes it when the last run
// ends, and resets the shared resources then.
func acquire() (base string, release func(), err error) {
	runs.mu.Lock()
	defer runs.mu.Unlock()
	if runs.n == 0 {
		b, err := os.MkdirTemp("", "guardtest-")
		if err != nil {
			return "", nil, fmt.Errorf("guardtest: %w", err)
		}
		runs.base = b
		runs.tmpdir, runs.hadTmp = os.LookupEnv("TMPDIR")
		_ = os.Setenv("TMPDIR", b)
	}
	runs.n++
	return runs.base, func() {
		runs.mu.Lock()
		defer runs.mu.Unlock()
		if runs.n--; runs.n > 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = guard.CloseShared(ctx)
		cancel()
		if runs.hadTmp {
			_ = os.Setenv("TMPDIR", runs.tmpdir)
		} else {
			_ = os.Unsetenv("TMPDIR")
		}
		_ = os.RemoveAll(runs.base)
	}, nil
}
