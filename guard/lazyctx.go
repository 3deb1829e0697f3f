package guard

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// deadlineCtx is context.WithDeadlineCause made on demand. Most handlers
// never look at their context's Done channel, and most invocations have no
// cleanup that would: until somebody asks for Done (or Err past the
// deadline, or the context package's cancel key, as Cause and derived
// contexts do), a deadlineCtx costs no timer, no goroutine and no
// allocation beyond the invocation it is embedded in.
type deadlineCtx struct {
	parent   context.Context
	detached bool // the parent's cancellation does not reach it (context.WithoutCancel)
	deadline time.Time
	cause    error

	// state: fresh until the real context is made (made) or the context is
	// stopped before anyone looked (stopped); a stop after made cancels
	// the real context under mu.
	state  atomic.Int32
	mu     sync.Mutex
	real   context.Context
	cancel context.CancelFunc
}

const (
	fresh int32 = iota
	made
	stopped
)

// init prepares c: it ends at deadline (or with its parent, unless
// detached), with cause.
func (c *deadlineCtx) init(parent context.Context, deadline time.Time, cause error, detached bool) {
	c.parent, c.deadline, c.cause, c.detached = parent, deadline, cause, detached
	if !detached {
		if pd, ok := parent.Deadline(); ok && pd.Before(deadline) {
			c.deadline = pd
		}
	}
}

// materialize returns the real context, making it the first time.
func (c *deadlineCtx) materialize() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real == nil {
		p := c.parent
		if c.detached {
			p = context.WithoutCancel(p)
		}
		if !c.state.CompareAndSwap(fresh, made) {
			// Stopped before anyone looked: cancelled, as a stopped
			// context.WithDeadline is, whether or not the deadline has
			// passed since.
			c.real, c.cancel = context.WithCancel(p)
			c.cancel()
			return c.real
		}
		c.real, c.cancel = context.WithDeadlineCause(p, c.deadline, c.cause)
	}
	return c.real
}

// stop releases the timer, if one was made; a context made after stop is
// cancelled at once, as a stopped context.WithDeadline would be.
func (c *deadlineCtx) stop() {
	if c.state.CompareAndSwap(fresh, stopped) {
		return // never made: no timer to release, and none will be
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state.Store(stopped)
	if c.cancel != nil {
		c.cancel()
	}
}

func (c *deadlineCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *deadlineCtx) Done() <-chan struct{} { return c.materialize().Done() }

func (c *deadlineCtx) Err() error {
	if c.state.Load() != fresh || !time.Now().Before(c.deadline) {
		return c.materialize().Err()
	}
	if c.detached {
		return nil
	}
	return c.parent.Err()
}

func (c *deadlineCtx) Value(key any) any {
	if _, ok := key.(*int); ok {
		// The context package's own cancel key (an *int): Cause and the
		// contexts derived from this one find the real cancelCtx.
		return c.materialize().Value(key)
	}
	return c.parent.Value(key)
}

func (c *deadlineCtx) String() string {
	return "guard.deadline(" + c.deadline.String() + ")"
}
