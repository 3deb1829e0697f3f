package guard_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/scope"
)

// TestCleanupReserve: the handler's context ends the reserve before the real
// deadline, with ErrCleanupReserve as its cause, and the cleanups get the
// time that was kept.
func TestCleanupReserve(t *testing.T) {
	cases := []struct {
		name      string
		timeout   time.Duration
		opts      []guard.Option
		handlerAt time.Duration // when the handler's context ends, from the start
		// cleanupsAt is the cleanups' deadline, from the start: the real
		// deadline less the wipe margin (10ms) when there is time for it,
		// and a grace of at most 100ms and at most half the time left.
		cleanupsAt time.Duration
	}{
		// 100ms kept: 90ms after the wipe margin, half of it the grace.
		{"default 100ms", 3 * time.Second, nil, 2900 * time.Millisecond, 2945 * time.Millisecond},
		{"configured", 3 * time.Second, []guard.Option{guard.WithCleanupReserve(time.Second)}, 2 * time.Second, 2890 * time.Millisecond},
		// 50ms kept: 40ms after the wipe margin, half of it the grace.
		{"at most half", 100 * time.Millisecond, []guard.Option{guard.WithCleanupReserve(time.Second)}, 50 * time.Millisecond, 70 * time.Millisecond},
		// Nothing kept: the cleanups get the real deadline, already past.
		{"off", 3 * time.Second, []guard.Option{guard.WithCleanupReserve(0)}, 3 * time.Second, 3 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				var ended time.Time
				var cause, cleanupErr error
				var cleanupDeadline time.Time
				h := guard.Wrap(func(ctx context.Context, _ event) (string, error) {
					_ = scope.From(ctx).OnClose(func(ctx context.Context) error {
						cleanupErr = ctx.Err()
						cleanupDeadline, _ = ctx.Deadline()
						return nil
					})
					<-ctx.Done()
					ended, cause = time.Now(), context.Cause(ctx)
					return "", ctx.Err()
				}, append(tc.opts, guard.WithTempBase(t.TempDir()))...)
				ctx, cancel := context.WithTimeout(lambdaCtx("reserve"), tc.timeout)
				defer cancel()
				_, err := h(ctx, event{})
				require.ErrorIs(t, err, context.DeadlineExceeded)
				assert.Equal(t, tc.handlerAt, ended.Sub(start))
				if tc.handlerAt < tc.timeout {
					assert.ErrorIs(t, cause, guard.ErrCleanupReserve)
				}
				if tc.handlerAt < tc.timeout {
					assert.NoError(t, cleanupErr, "the cleanup runs with time left")
				} else {
					assert.ErrorIs(t, cleanupErr, context.DeadlineExceeded, "without a reserve nothing is left for cleanups")
				}
				// Cleanups end a grace before the real deadline (at most 100ms,
				// at most half the time left), so that the guard can leave a
				// stuck one behind and still return in time. The clock of
				// synctest is exact.
				assert.Equal(t, tc.cleanupsAt, cleanupDeadline.Sub(start), "the reserve, less the wipe margin and the grace")
			})
		})
	}
}

// TestBackgroundWorkAwaited: work started with scope.Go is waited for before
// the result goes back.
func TestBackgroundWorkAwaited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var done bool
		h := guard.Wrap(func(ctx context.Context, _ event) (string, error) {
			_ = scope.From(ctx).Go(func(ctx context.Context) error {
				time.Sleep(time.Second)
				done = true
				return nil
			})
			return "returned", nil
		}, guard.WithTempBase(t.TempDir()))
		ctx, cancel := context.WithTimeout(lambdaCtx("bg"), 3*time.Second)
		defer cancel()
		out, err := h(ctx, event{})
		require.NoError(t, err)
		assert.Equal(t, "returned", out)
		assert.True(t, done, "the work finished before the result went back")
	})
}

// TestBackgroundWorkOverrunCancelled: work still running at the start of the
// reserve is cancelled through its context and reported, and the cleanups
// still run with time left.
func TestBackgroundWorkOverrunCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		start := time.Now()
		var cancelledAt time.Time
		var cause error
		var cleanupErr error
		stuck := make(chan struct{})
		defer close(stuck)
		h := guard.Wrap(func(ctx context.Context, _ event) (string, error) {
			s := scope.From(ctx)
			_ = s.Go(func(ctx context.Context) error {
				<-ctx.Done()
				cancelledAt, cause = time.Now(), context.Cause(ctx)
				return nil
			})
			_ = s.Go(func(context.Context) error { <-stuck; return nil }) // ignores its context
			_ = s.OnClose(func(ctx context.Context) error { cleanupErr = ctx.Err(); return nil })
			return "returned", nil
		}, guard.WithTempBase(t.TempDir()), guard.WithCleanupReserve(200*time.Millisecond),
			guard.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
		ctx, cancel := context.WithTimeout(lambdaCtx("overrun"), time.Second)
		defer cancel()
		out, err := h(ctx, event{})
		require.NoError(t, err, "an overrun does not change the result")
		assert.Equal(t, "returned", out)
		synctest.Wait()
		assert.Equal(t, 800*time.Millisecond, cancelledAt.Sub(start), "cancelled at the start of the reserve")
		assert.ErrorIs(t, cause, context.DeadlineExceeded)
		assert.NoError(t, cleanupErr, "the cleanups get the reserve")
		assert.Contains(t, logs.String(), "background work outran the invocation and was cancelled")
		assert.Contains(t, logs.String(), "2 background task(s) still running")
		assert.Contains(t, logs.String(), `"requestId":"overrun"`)
	})
}

// TestBackgroundOverrunReportedInDebugMode: in debug mode, work that ignores
// its cancellation is a goroutine finding of the invocation that started it.
func TestBackgroundOverrunReportedInDebugMode(t *testing.T) {
	var mu sync.Mutex
	var reports []guard.Report
	stuck := make(chan struct{})
	defer close(stuck)
	h := guard.Wrap(func(ctx context.Context, _ event) (string, error) {
		_ = scope.From(ctx).Go(func(context.Context) error { <-stuck; return nil })
		return "returned", nil
	}, guard.WithTempBase(t.TempDir()), guard.WithDebug(true),
		guard.WithCleanupReserve(50*time.Millisecond),
		guard.WithLogger(slog.New(slog.DiscardHandler)),
		guard.WithReporter(func(r guard.Report) { mu.Lock(); reports = append(reports, r); mu.Unlock() }))
	ctx, cancel := context.WithTimeout(lambdaCtx("overrun-debug"), 100*time.Millisecond)
	defer cancel()
	out, err := h(ctx, event{})
	require.NoError(t, err)
	assert.Equal(t, "returned", out)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, reports, 1)
	var kinds []guard.Kind
	for _, f := range reports[0].Findings {
		kinds = append(kinds, f.Kind)
	}
	assert.Contains(t, kinds, guard.KindGoroutine)
}

// TestStuckCleanupsReturnByTheDeadline: cleanups that ignore their context
// are left behind at the real deadline, so the result still goes back in
// time (past it, Lambda reports a timeout instead).
func TestStuckCleanupsReturnByTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := guard.Wrap(func(ctx context.Context, _ event) (string, error) {
			for range 5 {
				_ = scope.From(ctx).OnClose(func(context.Context) error { time.Sleep(3 * time.Second); return nil })
			}
			return "ok", nil
		}, guard.WithTempBase(t.TempDir()), guard.WithLogger(slog.New(slog.DiscardHandler)))
		start := time.Now()
		ctx, cancel := context.WithDeadline(lambdaCtx("stuck"), start.Add(500*time.Millisecond))
		defer cancel()
		out, err := h(ctx, event{})
		require.NoError(t, err)
		assert.Equal(t, "ok", out)
		assert.LessOrEqual(t, time.Since(start), 500*time.Millisecond, "fake time: exact")
		time.Sleep(3 * time.Second) // the abandoned cleanups end inside the bubble
	})
}

// TestCleanupTimeoutWithoutDeadline: without a deadline, cleanups are
// bounded by 10s.
func TestCleanupTimeoutWithoutDeadline(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []guard.Option
		max  time.Duration
		min  time.Duration
	}{
		{"default", nil, 10 * time.Second, 9 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var deadline time.Time
				var has bool
				h := guard.Wrap(func(ctx context.Context, _ event) (string, error) {
					_ = scope.From(ctx).OnClose(func(ctx context.Context) error {
						deadline, has = ctx.Deadline()
						return nil
					})
					return "", nil
				}, append(tc.opts, guard.WithTempBase(t.TempDir()))...)
				start := time.Now()
				_, err := h(context.Background(), event{})
				require.NoError(t, err)
				require.True(t, has, "cleanups always have a deadline")
				assert.False(t, deadline.After(start.Add(tc.max)))
				assert.True(t, deadline.After(start.Add(tc.min)))
			})
		})
	}
}
