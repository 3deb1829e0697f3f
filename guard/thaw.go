package guard

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

type thawHook struct {
	min time.Duration
	fn  func(ctx context.Context, gap time.Duration) error
}

// OnThaw adds a hook that runs at the start of an invocation that follows a
// gap longer than min: the time since the previous invocation of this guard
// ended, during which the execution environment was most often frozen
// (Invocation.Idle). Sockets die during such a gap — a database or an HTTP
// peer closes an idle connection — and timers and background goroutines stop
// and resume late; a thaw hook is the place to notice.
//
// Hooks run in the order given, before the middleware and the handler, in the
// invocation's context (its scope, temp directory and deadline), and get the
// gap. A hook that fails or panics is logged; the handler runs all the same.
// Hooks do not run on a cold start, nor while other invocations of the guard
// are running (the gap is then zero).
//
// For a resource that needs checking after a freeze, NewShared with
// WithValidate does it lazily, on first use.
func OnThaw(min time.Duration, fn func(ctx context.Context, gap time.Duration) error) Option {
	return optionFunc(func(c *config) {
		if fn != nil {
			c.thaw = append(c.thaw, thawHook{min: min, fn: fn})
		}
	})
}

// thaw runs the thaw hooks whose threshold the invocation's gap exceeds.
func (g *guard) thaw(ctx context.Context, info Invocation) {
	if info.Idle <= 0 {
		return
	}
	for _, h := range g.cfg.thaw {
		if info.Idle <= h.min {
			continue
		}
		err := callSafe(ctx, func(ctx context.Context) error { return h.fn(ctx, info.Idle) })
		if err != nil {
			g.cfg.logger.LogAttrs(context.WithoutCancel(ctx), slog.LevelError, "lambdaguard: thaw hook failed",
				slog.String("requestId", info.RequestID), slog.String("gap", info.Idle.String()),
				slog.String("error", fmt.Sprint(err)))
		}
	}
}
