package guard_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
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
