package guard

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
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

// reserve makes the handler's context, in inv.hctx: one that ends at the
// start of the cleanup reserve, with ErrCleanupReserve as its cause, or
// inv.ctx itself when there is no reserve to keep.
func (g *guard) reserve(inv *invocation) context.Context {
	if inv.info.Deadline.IsZero() {
		return inv.ctx
	}
	r := reserveFor(g.cfg.reserve, inv.info.Start, inv.info.Deadline)
	if r <= 0 {
		return inv.ctx
	}
	inv.hctx = handlerCtx{parent: inv.ctx, deadline: inv.info.Deadline.Add(-r)}
	return &inv.hctx
}

// handlerCtx is context.WithDeadlineCause(parent, deadline,
// ErrCleanupReserve), made when it is first needed: a handler that never
// waits on its context, never derives one from it and never sees it end
// costs no timer, no allocation and no entry in the parent's children. It
// lives in the invocation.
//
// It relies on nothing but the Context contract. Until the standard
// context is made, Err works out from the clock and the parent whether the
// context has ended, and makes it when it has, so that Done, Err and Cause
// agree from then on; Value asks the standard context once it exists, and
// the parent before (the values are the same: the standard context adds
// none). Done, Err and AfterFunc make it; context.AfterFunc and the
// contexts derived from this one use the AfterFunc method.
type handlerCtx struct {
	parent   context.Context
	deadline time.Time
	made     atomic.Pointer[stdCtx]
	mu       sync.Mutex  // serializes making it, and ending it
	ended    atomic.Bool // the invocation ended: what is made from now on is canceled
	early    bool        // it ended before the reserve, the parent live: canceled, not expired
}

type stdCtx struct {
	context.Context
	cancel context.CancelFunc
}

// std returns the standard context, making it on the first call.
func (c *handlerCtx) std() context.Context {
	if s := c.made.Load(); s != nil {
		return s.Context
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.made.Load(); s != nil {
		return s.Context
	}
	var ctx context.Context
	var cancel context.CancelFunc
	if c.early {
		// First used by a goroutine that outlived the handler, once the
		// reserve or the caller's end has come too: what it finds is that
		// the invocation ended.
		ctx, cancel = context.WithCancel(context.WithoutCancel(c.parent))
	} else {
		ctx, cancel = context.WithDeadlineCause(c.parent, c.deadline, ErrCleanupReserve)
	}
	if c.ended.Load() {
		cancel()
	}
	c.made.Store(&stdCtx{ctx, cancel})
	return ctx
}

// end cancels the context, now or when it is made: the invocation is over.
// It does nothing for an invocation whose handler got inv.ctx instead.
func (c *handlerCtx) end() {
	if c.parent == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended.Store(true)
	if s := c.made.Load(); s != nil {
		s.cancel()
	} else {
		c.early = c.parent.Err() == nil && time.Now().Before(c.deadline)
	}
}

func (c *handlerCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *handlerCtx) Done() <-chan struct{} { return c.std().Done() }

func (c *handlerCtx) Err() error {
	if s := c.made.Load(); s != nil {
		return s.Err()
	}
	if c.ended.Load() || c.parent.Err() != nil || !time.Now().Before(c.deadline) {
		return c.std().Err()
	}
	return nil
}

func (c *handlerCtx) Value(key any) any {
	if s := c.made.Load(); s != nil {
		return s.Value(key)
	}
	return c.parent.Value(key)
}

// AfterFunc is context.AfterFunc on the standard context: how contexts
// derived from this one learn that it ended, without a goroutine each.
func (c *handlerCtx) AfterFunc(f func()) (stop func() bool) {
	return context.AfterFunc(c.std(), f)
}

func (c *handlerCtx) String() string {
	return "guard.handlerContext(" + c.deadline.String() + ")"
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
