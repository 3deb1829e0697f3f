package guard

import (
	"context"
	"errors"
	"time"
)

// ErrCleanupReserve is the cause (context.Cause) of a handler's context that
// ended because the invocation reached the start of its cleanup reserve: the
// Lambda deadline is still ahead, and the time left is kept for draining
// background work, cleanups, the temp-dir wipe and the trace flush. ctx.Err()
// is context.DeadlineExceeded, as for any deadline.
var ErrCleanupReserve = errors.New("guard: deadline reached; the time left is reserved for cleanup")

// defaultReserve is the cleanup reserve when WithCleanupReserve is not given.
const defaultReserve = 100 * time.Millisecond

// WithCleanupReserve makes the handler's context end d before the
// invocation's real deadline (the idea of Middy's timeoutEarly), so that a
// handler that runs out of time still leaves time to drain background work,
// run the cleanups, wipe the temp directory and flush traces before Lambda
// stops the process. Background work started with scope.Go is waited for
// until the same point; what is still running then is cancelled and
// reported, and the cleanups get the reserve.
//
// The reserve never takes more than half of the time an invocation has when
// it starts. The default is 100ms; 0 turns the reserve off (the handler's
// context then ends at the real deadline, and cleanups get what is left).
// Without a deadline, cleanup gets 10s after the handler returns, split the
// same way.
func WithCleanupReserve(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d >= 0 {
			c.reserve = d
		}
	})
}

// reserveFor is the reserve an invocation that starts at start and must end
// by end gets: the configured one, at most half of the time it has.
func reserveFor(r time.Duration, start, end time.Time) time.Duration {
	if half := end.Sub(start) / 2; r > half {
		r = max(half, 0)
	}
	return r
}

// reserve returns the handler's context: one that ends at the start of the
// cleanup reserve, with ErrCleanupReserve as its cause.
func (g *guard) reserve(ctx context.Context, info Invocation) (context.Context, context.CancelFunc) {
	if info.Deadline.IsZero() {
		return ctx, func() {}
	}
	r := reserveFor(g.cfg.reserve, info.Start, info.Deadline)
	if r <= 0 {
		return ctx, func() {}
	}
	return context.WithDeadlineCause(ctx, info.Deadline.Add(-r), ErrCleanupReserve)
}

// closeBy returns when background work must have finished and when the
// cleanups must have: the start of the reserve and the real deadline, or,
// without a deadline, the same split of the cleanup timeout from now.
func (g *guard) closeBy(inv *invocation, now time.Time) (drain, end time.Time) {
	start, end := inv.info.Start, inv.info.Deadline
	if end.IsZero() {
		start, end = now, now.Add(cleanupTimeout)
	}
	return end.Add(-reserveFor(g.cfg.reserve, start, end)), end
}
