package guard_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/scope"
)

func TestOnThawFiresOnlyPastItsThreshold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var fired []string
		var logs bytes.Buffer
		hook := func(name string, err error) func(context.Context, time.Duration) error {
			return func(ctx context.Context, gap time.Duration) error {
				inv, ok := guard.InvocationFrom(ctx)
				require.True(t, ok, "hooks run in the invocation's context")
				assert.Equal(t, inv.Idle, gap)
				fired = append(fired, name)
				return err
			}
		}
		h := guard.Wrap(func(ctx context.Context, _ event) (int, error) {
			fired = append(fired, "handler")
			return 0, nil
		},
			guard.WithTempBase(t.TempDir()),
			guard.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
			guard.OnThaw(time.Second, hook("1s", nil)),
			guard.OnThaw(time.Minute, hook("1m", errors.New("reconnect failed"))),
			guard.OnThaw(time.Second, func(context.Context, time.Duration) error { panic("hook panicked") }),
		)
		steps := []struct {
			sleep time.Duration
			want  []string
		}{
			{0, []string{"handler"}},                           // cold start: no gap
			{500 * time.Millisecond, []string{"handler"}},      // under both thresholds
			{time.Second, []string{"handler"}},                 // at a threshold is not past it
			{2 * time.Second, []string{"1s", "handler"}},       // past 1s only
			{2 * time.Minute, []string{"1s", "1m", "handler"}}, // past both
		}
		for i, s := range steps {
			time.Sleep(s.sleep)
			fired = nil
			_, err := h(lambdaCtx("thaw"), event{})
			require.NoError(t, err, "a failing hook does not fail the invocation")
			assert.Equal(t, s.want, fired, "step %d (gap %v)", i, s.sleep)
		}
		assert.Contains(t, logs.String(), "reconnect failed")
		assert.Contains(t, logs.String(), "hook panicked")
	})
}

// A thaw hook that ends its goroutine (runtime.Goexit, as t.FailNow does)
// still leaves the invocation closed: its scope's cleanups run, its temp
// directory is wiped and the guard's count of running invocations is right,
// on the plain path and through middleware alike.
func TestThawGoexitStillCloses(t *testing.T) {
	passThrough := func(ctx context.Context, ev any, next guard.Next) (any, error) { return next(ctx) }
	for _, tc := range []struct {
		name string
		opts []guard.Option
	}{
		{"plain", nil},
		{"middleware", []guard.Option{guard.WithMiddleware(passThrough)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dirs []string
			var closed int
			var inFlight []string // who saw which count: the hook or the handler
			hook := func(ctx context.Context, _ time.Duration) error {
				inv, _ := guard.InvocationFrom(ctx)
				inFlight = append(inFlight, fmt.Sprintf("thaw:%d", inv.InFlight))
				d, err := guard.TempDir(ctx)
				assert.NoError(t, err)
				dirs = append(dirs, d)
				assert.NoError(t, scope.From(ctx).OnClose(func(context.Context) error { closed++; return nil }))
				runtime.Goexit()
				return nil
			}
			h := guard.Wrap(func(ctx context.Context, _ event) (string, error) {
				inv, _ := guard.InvocationFrom(ctx)
				inFlight = append(inFlight, fmt.Sprintf("handler:%d", inv.InFlight))
				return "", nil
			}, append(tc.opts, guard.WithTempBase(t.TempDir()), guard.OnThaw(0, hook))...)
			for range 3 {
				time.Sleep(time.Millisecond) // a gap for the hook to follow
				done := make(chan struct{})
				go func() { // Goexit ends this goroutine, as it would the runtime's
					defer close(done)
					_, _ = h(lambdaCtx("thaw-goexit"), event{})
				}()
				<-done
			}
			// The first invocation is a cold start: no hook. The next ones
			// end in the hook, and each finds no other invocation running.
			assert.Equal(t, []string{"handler:1", "thaw:1", "thaw:1"}, inFlight)
			assert.Equal(t, 2, closed, "the scope's cleanups ran")
			for _, d := range dirs {
				_, err := os.Stat(d)
				assert.ErrorIs(t, err, fs.ErrNotExist, "the temp dir is wiped")
			}
		})
	}
}
