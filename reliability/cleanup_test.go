package reliability_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/scope"
)

var errCleanup = errors.New("cleanup: flush failed")

// faultyCleanups registers, in this order: a cleanup that records it ran, one
// that returns an error, one that hangs and ignores its context, one that
// panics, and another that records it ran. They run last in, first out.
// release lets the hanging one go at the end of the test.
func faultyCleanups(t *testing.T, sc *scope.Scope, ran *atomic.Int32, release <-chan struct{}) {
	t.Helper()
	require.NoError(t, sc.OnClose(func(context.Context) error { ran.Add(1); return nil }))
	require.NoError(t, sc.OnClose(func(context.Context) error { return errCleanup }))
	require.NoError(t, sc.OnClose(func(context.Context) error { <-release; return nil }))
	require.NoError(t, sc.OnClose(func(context.Context) error { panic("cleanup: nil map") }))
	require.NoError(t, sc.OnClose(func(context.Context) error { ran.Add(1); return nil }))
}

// TestCleanupFailuresScope closes a scope with a panicking, a hanging and a
// failing cleanup: the others still run, Close returns when its context
// ends — not when the hanging cleanup does — and every failure is in the
// joined error.
func TestCleanupFailuresScope(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		sc := scope.New(context.Background())
		var ran atomic.Int32
		faultyCleanups(t, sc, &ran, release)

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := sc.Close(ctx)
		// The bubble's clock is exact: the hanging cleanup had until its
		// context ended, a grace (at most 100 ms) before Close's deadline,
		// and Close returned before the deadline.
		elapsed := time.Since(start)
		assert.GreaterOrEqual(t, elapsed, 900*time.Millisecond, "the hanging cleanup was given up on before its context ended")
		assert.Less(t, elapsed, time.Second, "Close outlived its context")
		assert.EqualValues(t, 2, ran.Load(), "the cleanups around the faulty ones ran")
		require.Error(t, err)
		assert.ErrorIs(t, err, errCleanup)
		var pe *scope.PanicError
		assert.ErrorAs(t, err, &pe)
		assert.ErrorIs(t, err, context.DeadlineExceeded, "the hanging cleanup is reported")
		assert.ErrorIs(t, sc.OnClose(func(context.Context) error { return nil }), scope.ErrClosed, "closed")
	})
}

// TestCleanupFailuresGuard is the same through the guard: the handler's
// result is what it returned, the cleanup failures are logged, joined, and
// the temp directory is wiped even though a cleanup never returned.
func TestCleanupFailuresGuard(t *testing.T) {
	base := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		var logs syncBuffer
		var ran atomic.Int32
		var dir string
		h := guard.Wrap(func(ctx context.Context, _ struct{}) (string, error) {
			faultyCleanups(t, scope.From(ctx), &ran, release)
			dir, _ = guard.TempDir(ctx)
			return "result", nil
		}, guard.WithTempBase(base), guard.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		out, err := h(ctx, struct{}{})
		assert.Less(t, time.Since(start), time.Second, "the result went back after the deadline")
		require.NoError(t, err, "cleanup failures never change the handler's result")
		assert.Equal(t, "result", out)
		assert.EqualValues(t, 2, ran.Load())
		gone(t, dir)
		text := logs.String()
		assert.Contains(t, text, "lambdaguard: cleanup failed")
		assert.Contains(t, text, errCleanup.Error())
		assert.Contains(t, text, "cleanup: nil map")
		assert.Contains(t, text, "deadline")
	})
	emptyDir(t, base)
}

// TestDeadlineIgnoredByHandler: the handler ignores its context and returns
// after the deadline; background work it started ignores its context too.
// The guard returns the handler's result as soon as the handler returns:
// cleanups get the expired context, the stuck work is given up on and
// reported, and the temp directory is wiped.
func TestDeadlineIgnoredByHandler(t *testing.T) {
	base := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		var logs syncBuffer
		var dir string
		var cleanupSawDone atomic.Bool
		h := guard.Wrap(func(ctx context.Context, _ struct{}) (string, error) {
			sc := scope.From(ctx)
			dir, _ = guard.TempDir(ctx)
			_ = os.WriteFile(filepath.Join(dir, "partial"), []byte("x"), 0o600)
			require.NoError(t, sc.Go(func(context.Context) error { <-release; return nil }))
			require.NoError(t, sc.OnClose(func(ctx context.Context) error {
				<-ctx.Done()
				cleanupSawDone.Store(true)
				return nil
			}))
			time.Sleep(3 * time.Second) // the deadline is at 1s
			return "late", nil
		}, guard.WithTempBase(base), guard.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		out, err := h(ctx, struct{}{})
		elapsed := time.Since(start)
		require.NoError(t, err)
		assert.Equal(t, "late", out, "the handler's own result")
		assert.Equal(t, 3*time.Second, elapsed, "the result went back as soon as the handler returned")
		assert.True(t, cleanupSawDone.Load())
		gone(t, dir)
		assert.Contains(t, logs.String(), "background task(s) still running")
	})
	emptyDir(t, base)
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
