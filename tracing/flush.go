package tracing

import (
	"context"
	"time"
)

type flusher interface {
	ForceFlush(context.Context) error
}

type shutdowner interface {
	Shutdown(context.Context) error
}

// flushAtDeadline exports the spans the TracerProvider still buffers, for
// the guard's flush hook (guard.WithFlush), whose context ends at the
// invocation's deadline and is not cancelled before: bounded by the flush
// timeout and that deadline. After the handler returns the process may be
// frozen at any moment, and a span left in a buffer is exported, if ever,
// on the next thaw, or lost.
func (t *tracer) flushAtDeadline(ctx context.Context) error {
	f := t.flusher()
	if f == nil {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dl := time.Now().Add(t.cfg.flushTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	fctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), dl)
	defer cancel()
	return f.ForceFlush(fctx)
}

// flusher returns the provider as a flusher, or nil when the flush is off
// or the provider cannot flush.
func (t *tracer) flusher() flusher {
	if t.cfg.flushTimeout <= 0 {
		return nil
	}
	f, _ := t.cfg.tracerProvider().(flusher)
	return f
}

// shutdown is the guard's shutdown hook.
func (t *tracer) shutdown(ctx context.Context) error {
	return shutdownProvider(ctx, t.cfg)
}

// shutdownBudget bounds a shutdown whose context has no deadline.
const shutdownBudget = 500 * time.Millisecond

func shutdownProvider(ctx context.Context, cfg *config) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, shutdownBudget)
		defer cancel()
	}
	switch p := cfg.tracerProvider().(type) {
	case shutdowner:
		return p.Shutdown(ctx)
	case flusher:
		return p.ForceFlush(ctx)
	}
	return nil
}
