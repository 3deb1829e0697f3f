package reliability_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/guardtest"
	"github.com/lambdaguard/lambdaguard/tmpfs"
)

// debugCursor is a result that can be encoded once: its MarshalJSON drains
// the cursor, as a database cursor or a stream does.
type debugCursor struct {
	items   []string
	drained bool
}

func (c *debugCursor) MarshalJSON() ([]byte, error) {
	if c.drained {
		return []byte("[]"), nil
	}
	c.drained = true
	return json.Marshal(c.items)
}

// TestDebugResultMarshalledOnce: debug mode does not encode the handler's
// result on its own: aws-lambda-go's encoding is the only one, and a result
// that drains as it is encoded reaches the caller whole.
func TestDebugResultMarshalledOnce(t *testing.T) {
	h := lambda.NewHandler(guard.Wrap(func(ctx context.Context, _ struct{}) (*debugCursor, error) {
		return &debugCursor{items: []string{"row-1", "row-2", "row-3"}}, nil
	}, debugOptions(t, &reports{})...))
	ctx, cancel := invocation("req-cursor", 10*time.Second)
	defer cancel()
	out, err := h.Invoke(ctx, []byte(`{}`))
	require.NoError(t, err)
	assert.JSONEq(t, `["row-1","row-2","row-3"]`, string(out))
}

// debugWorker is a goroutine a handler leaves behind under labels of its own.
func debugWorker(stop <-chan struct{}) { <-stop }

// TestDebugLeakedGoroutineWithOwnLabels: the invocation's goroutine label
// travels in the handler's context, so a handler that sets pprof labels from
// its context (pprof.Do, pprof.SetGoroutineLabels) keeps it, and the
// goroutine it leaks is still reported.
func TestDebugLeakedGoroutineWithOwnLabels(t *testing.T) {
	for name, leak := range map[string]func(ctx context.Context, start func()){
		"pprof.Do": func(ctx context.Context, start func()) {
			pprof.Do(ctx, pprof.Labels("worker", "x"), func(context.Context) { start() })
		},
		"SetGoroutineLabels": func(ctx context.Context, start func()) {
			pprof.SetGoroutineLabels(ctx)
			start()
		},
	} {
		t.Run(name, func(t *testing.T) {
			stop := make(chan struct{})
			var wg sync.WaitGroup
			defer wg.Wait()
			defer close(stop)
			h, rs := debugWrap(t, func(ctx context.Context, _ string) (string, error) {
				leak(ctx, func() { wg.Go(func() { debugWorker(stop) }) })
				return "ok", nil
			})
			ctx, cancel := invocation("req-labels", 10*time.Second)
			defer cancel()
			_, err := h(ctx, "go")
			require.NoError(t, err)
			require.NotEmpty(t, rs.findings(guard.KindGoroutine), "the leaked goroutine is reported:\n%s", rs.describe())
		})
	}
}

// TestDebugSymlinkedTempBaseNoFD: the temp base is reached through a
// symlink. Two invocations at once each hold a file open in their own
// directory while the other one ends: neither is reported as a descriptor
// the other left open.
func TestDebugSymlinkedTempBaseNoFD(t *testing.T) {
	link := filepath.Join(t.TempDir(), "base")
	require.NoError(t, os.Symlink(t.TempDir(), link))
	var meet rendezvous
	firstDone := make(chan struct{})
	h, rs := debugWrap(t, func(ctx context.Context, n int) (int, error) {
		if err := meet.wait(ctx, "started", 2); err != nil {
			return 0, err
		}
		dir, err := guard.TempDir(ctx)
		if err != nil {
			return 0, err
		}
		f, err := os.Create(filepath.Join(dir, "held"))
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if err := meet.wait(ctx, "opened", 2); err != nil {
			return 0, err
		}
		if n == 2 {
			select { // hold the file until the first invocation has ended
			case <-firstDone:
			case <-ctx.Done():
			}
		}
		return n, nil
	}, guard.WithTempBase(link))

	var wg sync.WaitGroup
	wg.Go(func() {
		ctx, cancel := invocation("req-second", 10*time.Second)
		defer cancel()
		_, err := h(ctx, 2)
		assert.NoError(t, err)
	})
	ctx, cancel := invocation("req-first", 10*time.Second)
	defer cancel()
	_, err := h(ctx, 1)
	close(firstDone)
	wg.Wait()
	require.NoError(t, err)
	assert.Empty(t, rs.findings(guard.KindFD), "%s", rs.describe())
}

var (
	debugNaNKeys   = map[float64]int{math.NaN(): 1, math.NaN(): 2, 1.5: 3}
	debugMixedKeys = map[any]int{1: 1, int8(1): 2, uint(1): 3}
	debugLocalTime = time.Unix(1_700_000_000, 0) // in time.Local, not yet loaded
)

// TestDebugUnchangedNotReported: watched variables that nobody changes are
// not reported: a map with NaN keys, a map[any]int whose keys are equal
// numbers of different types, and a time.Time in time.Local whose location
// is loaded, lazily, by the first invocation that reads the time. Each runs
// in a child process: a fresh one, where nothing loaded time.Local before,
// and where the suite's other tests do not see these variables.
func TestDebugUnchangedNotReported(t *testing.T) {
	t.Run("NaN keys", func(t *testing.T) {
		if !inChild(t) {
			return
		}
		guard.Watch("debugNaNKeys", &debugNaNKeys)
		assertNoFindings(t, 20, func(context.Context) error { return nil })
	})
	t.Run("keys of different types", func(t *testing.T) {
		if !inChild(t) {
			return
		}
		guard.Watch("debugMixedKeys", &debugMixedKeys)
		assertNoFindings(t, 20, func(context.Context) error { return nil })
	})
	t.Run("time in Local", func(t *testing.T) {
		if !inChild(t) {
			return
		}
		guard.Watch("debugLocalTime", &debugLocalTime)
		assertNoFindings(t, 1, func(context.Context) error {
			_ = debugLocalTime.Format(time.RFC3339) // a read
			return nil
		})
	})
}

// assertNoFindings runs read n times in a debug-mode guard and asserts
// nothing was reported.
func assertNoFindings(t *testing.T, n int, read func(context.Context) error) {
	t.Helper()
	h, rs := debugWrap(t, func(ctx context.Context, _ int) (int, error) { return 0, read(ctx) })
	for i := range n {
		ctx, cancel := invocation(fmt.Sprintf("%s-%02d", t.Name(), i), 10*time.Second)
		_, err := h(ctx, i)
		cancel()
		require.NoError(t, err)
	}
	assert.Empty(t, rs.describe(), "nothing is reported")
}

// TestDebugTmpfsDirLeftReported: a directory the handler makes itself with
// tmpfs.New under the temp base and never wipes outlives the invocation: it
// is reported, although its name has the shape of a guard's own.
func TestDebugTmpfsDirLeftReported(t *testing.T) {
	base := t.TempDir()
	var left *tmpfs.Dir
	defer func() {
		if left != nil {
			_ = left.Wipe()
		}
	}()
	h, rs := debugWrap(t, func(ctx context.Context, _ string) (string, error) {
		d, err := tmpfs.New(base, "x")
		if err != nil {
			return "", err
		}
		left = d
		return d.Path(), os.WriteFile(filepath.Join(d.Path(), "scratch"), []byte("left behind"), 0o600)
	}, guard.WithTempBase(base))
	ctx, cancel := invocation("req-tmpfs", 10*time.Second)
	defer cancel()
	_, err := h(ctx, "go")
	require.NoError(t, err)
	assert.NotEmpty(t, rs.findings(guard.KindTempFile), "%s", rs.describe())
}

// TestDebugTempRootClosedByHandler: a handler that closes the os.Root
// guard.TempRoot gave it, as users do with what they open, then writes a
// file through it: the directory is still wiped, and nothing is logged as
// an error.
func TestDebugTempRootClosedByHandler(t *testing.T) {
	base := t.TempDir()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h, _ := debugWrap(t, func(ctx context.Context, _ string) (string, error) {
		r, err := guard.TempRoot(ctx)
		if err != nil {
			return "", err
		}
		defer r.Close()
		return "ok", r.WriteFile("out.json", []byte(`{"ok":true}`), 0o600)
	}, guard.WithTempBase(base), guard.WithLogger(logger))
	ctx, cancel := invocation("req-root", 10*time.Second)
	defer cancel()
	_, err := h(ctx, "go")
	require.NoError(t, err)
	assert.Empty(t, logs.String(), "nothing is logged as a warning or an error")
	emptyDir(t, base)
}

var (
	debugSeenMu sync.Mutex
	debugSeen   = map[string]int{}
)

// TestDebugGuardedChangeReportedOnce: a watched map GuardedBy its mutex gets
// one new key per invocation, 16 invocations 4 at a time, each adding its
// key while the 3 others are in flight. Each key is one finding, reported
// once, not once by every invocation that saw it appear.
func TestDebugGuardedChangeReportedOnce(t *testing.T) {
	guard.Watch("debugSeen", &debugSeen, guard.GuardedBy(&debugSeenMu))
	run := time.Now().UnixNano() // new keys with -count=2 too
	var meet rendezvous
	events := make([]int, 16)
	for i := range events {
		events[i] = i
	}
	results, err := guardtest.Check(guardtest.Config{
		Concurrency:  4,
		Timeout:      10 * time.Second,
		GuardOptions: []guard.Option{guard.WithLogger(discardLogger())},
	}, func(ctx context.Context, n int) (int, error) {
		group := fmt.Sprint(n / 4)
		if err := meet.wait(ctx, "in "+group, 4); err != nil {
			return 0, err
		}
		debugSeenMu.Lock()
		debugSeen[fmt.Sprintf("order-%d-%02d", run, n)] = n
		debugSeenMu.Unlock()
		return n, meet.wait(ctx, "added "+group, 4)
	}, events...)
	require.NoError(t, err)
	paths := map[string]bool{}
	total := 0
	for _, r := range results {
		require.NoError(t, r.Err)
		for _, f := range r.Findings {
			if f.Kind == guard.KindGlobal {
				paths[f.Path] = true
				total++
			}
		}
	}
	assert.Len(t, paths, 16, "one path per key")
	assert.Equal(t, 16, total, "one finding per key:\n%s", guardtest.Describe(results))
}
