package guard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
)

// Debug mode reads goroutine labels from the runtime's tracebacks, which
// print them while GODEBUG has tracebacklabels=1. Code that replaces GODEBUG
// after debug mode started (an init, a test's t.Setenv) turns that off: the
// goroutine check then says it cannot see, and variables without a lock of
// their own are not read while a goroutine it cannot see may write them.
func TestDebugGODEBUGReplacedAfterTheGuard(t *testing.T) {
	stop := leakStop(t)
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		go leakForever(stop)
		return "ok", nil
	})
	t.Setenv("GODEBUG", "netdns=go") // after the guard
	_, err := h(context.Background(), request{})
	require.NoError(t, err)
	var said bool
	for _, f := range c.findings(guard.KindDetector) {
		said = said || strings.Contains(f.Detail, "GODEBUG no longer has tracebacklabels=1")
	}
	assert.True(t, said, "%s", c.json(t))
}

var labelsSessions = map[string]int{}

func TestDebugGODEBUGReplacedUnguardedVariableNotRead(t *testing.T) {
	watch(t, "labelsSessions", &labelsSessions)
	stop := leakStop(t)
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		go func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
					labelsSessions["k"] = i
				}
			}
		}()
		return "ok", nil
	})
	t.Setenv("GODEBUG", "netdns=go")
	_, err := h(context.Background(), request{})
	require.NoError(t, err)
	// Without the check, the variable is read while the goroutine writes
	// it: a data race, and at times "concurrent map iteration and map
	// write", which ends the process.
	assert.Empty(t, c.findings(guard.KindGlobal), "%s", c.json(t))
	assert.NotEmpty(t, c.findings(guard.KindDetector))
}

// A debug guard made while an invocation of another runs does not lose the
// environment baseline of that invocation.
func TestDebugSecondGuardKeepsTheEnvBaseline(t *testing.T) {
	const name = "LAMBDAGUARD_TEST_SECOND_GUARD"
	t.Cleanup(func() { os.Unsetenv(name) })
	set, made := make(chan struct{}), make(chan struct{})
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		os.Setenv(name, "x")
		close(set)
		<-made
		return "ok", nil
	})
	go func() {
		<-set
		_, _ = debugGuard(t, func(ctx context.Context, r request) (string, error) { return "", nil })
		close(made)
	}()
	_, err := h(context.Background(), request{})
	require.NoError(t, err)
	env := c.findings(guard.KindEnv)
	require.Len(t, env, 1, "%s", c.json(t))
	assert.Equal(t, name, env[0].Name)
}

// A request id that is not valid UTF-8 (guard.HTTP takes X-Amzn-RequestId
// from the client) still has its goroutines traced.
func TestDebugHTTPRequestIDNotUTF8(t *testing.T) {
	for _, id := range []string{"req-ok", "req-\xff"} {
		t.Run(id, func(t *testing.T) {
			stop := leakStop(t)
			c := &collector{}
			h := guard.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				go leakForever(stop)
			}), guard.WithDebug(true), guard.WithReporter(c.add), guard.WithTempBase(t.TempDir()))
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("X-Amzn-RequestId", id)
			h.ServeHTTP(httptest.NewRecorder(), req)
			assert.Len(t, c.findings(guard.KindGoroutine), 1, "%q: %s", id, c.json(t))
		})
	}
}

var poolConfig = map[string]string{}

// A worker started before any invocation (a pool made in main) runs a task
// of an invocation with pprof.Do on the task's context, so it carries that
// invocation's label, and outlives it. No goroutine is created in that
// invocation, yet the worker is found where a variable without a lock of
// its own is watched: the looks that decide whether it is read are exact.
// (With nothing of the kind watched, a look is skipped when no goroutine
// was created since one that found none, and this worker is missed: see
// docs/GUIDE.md.)
func TestDebugPoolWorkerTakesOnTheLabel(t *testing.T) {
	watch(t, "poolConfig", &poolConfig)
	tasks, running := workerPool(t, nil)
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		if r.Message == "zq-submit" {
			tasks <- ctx // the task outlives the request
			<-running
		}
		return "ok", nil
	})
	for _, m := range []string{"", "", "zq-submit"} {
		_, err := h(context.Background(), request{Message: m})
		require.NoError(t, err)
	}
	assert.Len(t, c.findings(guard.KindGoroutine), 1, "%s", c.json(t))
}

var poolSessions = map[string]int{}

// The same worker writes a watched variable without a lock of its own: it
// must not be read while the worker writes it (a data race, at times the
// end of the process).
func TestDebugPoolWorkerWritesAnUnguardedVariable(t *testing.T) {
	watch(t, "poolSessions", &poolSessions)
	tasks, running := workerPool(t, func(i int) { poolSessions["k"] = i })
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		if r.Message == "zq-submit" {
			tasks <- ctx
			<-running
		}
		return "ok", nil
	})
	for _, m := range []string{"", "", "zq-submit"} {
		_, err := h(context.Background(), request{Message: m})
		require.NoError(t, err)
	}
	assert.Empty(t, c.findings(guard.KindGlobal), "%s", c.json(t))
}

// workerPool starts a worker that runs each task context it is sent under
// pprof.Do, calling work over and over (or waiting) until the test ends.
func workerPool(t *testing.T, work func(i int)) (tasks chan context.Context, running chan struct{}) {
	tasks, running = make(chan context.Context), make(chan struct{})
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for ctx := range tasks {
			pprof.Do(ctx, pprof.Labels("task", "x"), func(context.Context) {
				close(running)
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if work == nil {
						<-stop
						return
					}
					work(i)
				}
			})
		}
	}()
	t.Cleanup(func() { close(stop); close(tasks); <-done })
	return tasks, running
}

// A handler replaces GODEBUG for a moment, twice, while an invocation that
// leaks a goroutine ends: each leak is reported, by a later invocation once
// goroutines can be traced again if not by its own.
func TestDebugGODEBUGReplacedForAMoment(t *testing.T) {
	stop := leakStop(t)
	var inside, restored chan struct{}
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		switch r.Message {
		case "zq-godebug":
			os.Setenv("GODEBUG", "netdns=go")
			close(inside)
			<-restored
		case "zq-stray":
			go leakForever(stop)
		}
		return "ok", nil
	})
	_, err := h(context.Background(), request{})
	require.NoError(t, err)
	prev := os.Getenv("GODEBUG")
	t.Cleanup(func() { os.Setenv("GODEBUG", prev) })
	for range 2 {
		inside, restored = make(chan struct{}), make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { _, _ = h(context.Background(), request{Message: "zq-godebug"}) })
		<-inside
		_, err := h(context.Background(), request{Message: "zq-stray"})
		require.NoError(t, err)
		os.Setenv("GODEBUG", prev)
		close(restored)
		wg.Wait()
	}
	_, err = h(context.Background(), request{}) // one after, with labels back
	require.NoError(t, err)
	assert.Len(t, c.findings(guard.KindGoroutine), 2, "both leaks: %s", c.json(t))
	var unseen int
	for _, f := range c.findings(guard.KindDetector) {
		if f.Name == "goroutines" {
			unseen++
		}
	}
	assert.Equal(t, 2, unseen, "each time goroutines could not be traced is said: %s", c.json(t))
}
