package guard_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
)

// ended is what a handler saw of its context when it found it ended.
type ended struct {
	at     time.Duration // from the start
	err    error
	cause  error
	closed bool // Done was closed
}

func look(start time.Time, ctx context.Context) ended {
	e := ended{at: time.Since(start), err: ctx.Err(), cause: context.Cause(ctx)}
	select {
	case <-ctx.Done():
		e.closed = true
	default:
	}
	return e
}

// TestHandlerContextEndsHoweverItIsUsed drives the handler's context the ways
// handlers and libraries use one: whichever way, it ends at the start of the
// cleanup reserve with ErrCleanupReserve as its cause, it ends when the
// caller's context does, with the caller's cause, and Done, Err and Cause
// agree.
func TestHandlerContextEndsHoweverItIsUsed(t *testing.T) {
	const timeout, reserveAt = 3 * time.Second, 2900 * time.Millisecond
	errCaller := errors.New("the caller gave up")
	cases := []struct {
		name string
		// cancelAt, when set, is when the caller cancels its context, with
		// errCaller as the cause.
		cancelAt time.Duration
		use      func(start time.Time, ctx context.Context) ended
		want     ended
	}{
		{"Done", 0, func(start time.Time, ctx context.Context) ended {
			<-ctx.Done()
			return look(start, ctx)
		}, ended{reserveAt, context.DeadlineExceeded, guard.ErrCleanupReserve, true}},
		{"Err polled, Done never called", 0, func(start time.Time, ctx context.Context) ended {
			for ctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
			return look(start, ctx)
		}, ended{reserveAt, context.DeadlineExceeded, guard.ErrCleanupReserve, true}},
		{"derived with WithCancel", 0, func(start time.Time, ctx context.Context) ended {
			child, cancel := context.WithCancel(ctx)
			defer cancel()
			<-child.Done()
			return look(start, child)
		}, ended{reserveAt, context.DeadlineExceeded, guard.ErrCleanupReserve, true}},
		{"derived with WithValue, then WithCancel", 0, func(start time.Time, ctx context.Context) ended {
			child, cancel := context.WithCancel(context.WithValue(ctx, ctxKey{}, "v"))
			defer cancel()
			<-child.Done()
			return look(start, child)
		}, ended{reserveAt, context.DeadlineExceeded, guard.ErrCleanupReserve, true}},
		{"context.AfterFunc", 0, func(start time.Time, ctx context.Context) ended {
			ran := make(chan ended)
			context.AfterFunc(ctx, func() { ran <- look(start, ctx) })
			return <-ran
		}, ended{reserveAt, context.DeadlineExceeded, guard.ErrCleanupReserve, true}},
		{"a shorter timeout of its own", 0, func(start time.Time, ctx context.Context) ended {
			child, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			<-child.Done()
			return look(start, child)
		}, ended{time.Second, context.DeadlineExceeded, context.DeadlineExceeded, true}},
		{"caller cancels, Done", time.Second, func(start time.Time, ctx context.Context) ended {
			<-ctx.Done()
			return look(start, ctx)
		}, ended{time.Second, context.Canceled, errCaller, true}},
		{"caller cancels, Err polled", time.Second, func(start time.Time, ctx context.Context) ended {
			for ctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
			return look(start, ctx)
		}, ended{time.Second, context.Canceled, errCaller, true}},
		{"caller cancels, derived", time.Second, func(start time.Time, ctx context.Context) ended {
			child, cancel := context.WithCancel(ctx)
			defer cancel()
			<-child.Done()
			return look(start, child)
		}, ended{time.Second, context.Canceled, errCaller, true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				var got ended
				var before [2]error
				h := guard.Wrap(func(ctx context.Context, _ event) (string, error) {
					// Not Done: some uses must be the first to make it.
					before = [2]error{ctx.Err(), context.Cause(ctx)}
					got = tc.use(start, ctx)
					return "", nil
				}, guard.WithTempBase(t.TempDir()))
				ctx, cancel := context.WithTimeout(lambdaCtx("hctx"), timeout)
				defer cancel()
				ctx, cancelCause := context.WithCancelCause(ctx)
				defer cancelCause(nil)
				if tc.cancelAt > 0 {
					time.AfterFunc(tc.cancelAt, func() { cancelCause(errCaller) })
				}
				_, err := h(ctx, event{})
				require.NoError(t, err)
				assert.Equal(t, [2]error{}, before, "at the start it has not ended")
				// A poll every millisecond sees the end within one.
				assert.True(t, got.at >= tc.want.at && got.at <= tc.want.at+time.Millisecond, "ended at %v, want %v", got.at, tc.want.at)
				assert.Equal(t, tc.want.err, got.err, "Err")
				assert.ErrorIs(t, got.cause, tc.want.cause, "Cause")
				assert.True(t, got.closed, "Done is closed once Err is not nil")
			})
		})
	}
}

type ctxKey struct{}

// TestHandlerContextAfterTheInvocation: a goroutine that outlives its
// handler finds the context canceled, whether it first used the context
// before the handler returned or after.
func TestHandlerContextAfterTheInvocation(t *testing.T) {
	for _, usedBefore := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			var wg sync.WaitGroup
			var got ended
			start := time.Now()
			invoke3s(t, "after", func(ctx context.Context, _ event) (string, error) {
				if usedBefore {
					_ = ctx.Done()
				}
				wg.Go(func() {
					<-release
					got = look(start, ctx)
				})
				return "", nil
			})
			close(release)
			wg.Wait()
			assert.Equal(t, context.Canceled, got.err, "used before the end: %v", usedBefore)
			assert.True(t, got.closed)
		})
	}
}

// TestHandlerContextValuesAndDerivedContexts: the handler's context carries
// the caller's values before and after it is first waited on, and contexts
// derived from it are told that it ended without a goroutine each.
func TestHandlerContextValuesAndDerivedContexts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var values []any
		var extra int
		h := guard.Wrap(func(ctx context.Context, _ event) (string, error) {
			values = append(values, ctx.Value(ctxKey{}))
			_, inGuard := guard.InvocationFrom(ctx)
			n := runtime.NumGoroutine()
			var cancels []context.CancelFunc
			for range 50 {
				_, cancel := context.WithCancel(ctx)
				cancels = append(cancels, cancel)
				context.AfterFunc(ctx, func() {})
			}
			extra = runtime.NumGoroutine() - n
			for _, c := range cancels {
				c()
			}
			values = append(values, ctx.Value(ctxKey{}), inGuard)
			return "", nil
		}, guard.WithTempBase(t.TempDir()))
		ctx, cancel := context.WithTimeout(context.WithValue(lambdaCtx("values"), ctxKey{}, "caller's"), 3*time.Second)
		defer cancel()
		_, err := h(ctx, event{})
		require.NoError(t, err)
		assert.Equal(t, []any{"caller's", "caller's", true}, values)
		assert.Zero(t, extra, "goroutines started to watch 100 derived contexts")
	})
}

// TestHandlerContextConcurrentUse: goroutines of one handler that wait on,
// poll and derive from its context at the moment it ends see one ending.
// Run with -race.
func TestHandlerContextConcurrentUse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 32
		// Half wake just before the context ends, half just after.
		wake := func(i int) time.Duration { return 2900*time.Millisecond + time.Duration(i-n/2)*time.Microsecond }
		got := make([]ended, n)
		start := time.Now()
		invoke3s(t, "concurrent", func(ctx context.Context, _ event) (string, error) {
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					time.Sleep(wake(i))
					switch i % 3 {
					case 0:
						<-ctx.Done()
					case 1:
						for ctx.Err() == nil {
							time.Sleep(time.Microsecond)
						}
					default:
						child, cancel := context.WithCancel(ctx)
						defer cancel()
						<-child.Done()
					}
					got[i] = look(start, ctx)
				})
			}
			wg.Wait()
			return "", nil
		})
		for i, e := range got {
			want := max(2900*time.Millisecond, wake(i))
			assert.True(t, e.at >= want && e.at <= want+time.Millisecond, "goroutine %d saw the end at %v, want %v", i, e.at, want)
			e.at = 0
			assert.Equal(t, ended{0, context.DeadlineExceeded, guard.ErrCleanupReserve, true}, e, "goroutine %d", i)
		}
	})
}

// TestHandlerContextFirstUsedLate: a goroutine that outlives its handler and
// first looks at the context after the reserve has started finds it
// canceled by the invocation's end, which came first, not expired.
func TestHandlerContextFirstUsedLate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var wg sync.WaitGroup
		var err, cause error
		invoke3s(t, "late", func(ctx context.Context, _ event) (string, error) {
			wg.Go(func() {
				time.Sleep(2950 * time.Millisecond) // the reserve starts at 2.9s
				err, cause = ctx.Err(), context.Cause(ctx)
			})
			return "", nil
		})
		wg.Wait()
		assert.Equal(t, context.Canceled, err, "ended by the invocation's end, at 0s")
		assert.Equal(t, context.Canceled, cause)
	})
}

// invoke3s wraps handler in a guard and invokes it once, as Lambda does,
// with 3s to its deadline (the reserve starts at 2.9s).
func invoke3s(t *testing.T, id string, handler func(context.Context, event) (string, error)) {
	t.Helper()
	h := guard.Wrap(handler, guard.WithTempBase(t.TempDir()))
	ctx, cancel := context.WithTimeout(lambdaCtx(id), 3*time.Second)
	defer cancel()
	_, err := h(ctx, event{})
	require.NoError(t, err)
}
