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

// flush exports the spans the TracerProvider still buffers, bounded by the
// flush timeout and by ctx (the invocation's deadline). After the handler
// returns the process may be frozen at any moment, and a span left in a
// buffer is exported, if ever, on the next thaw, or lost.
func (t *tracer) flush(ctx context.Context) error {
	if t.cfg.flushTimeout <= 0 {
		return nil
	}
	f, ok := t.cfg.tracerProvider().(flusher)
	if !ok {
		return nil
	}
	// One context, detached from ctx but ending at the earlier of its
	// deadline and the flush timeout: the guard's cleanup context is made
	// on demand, and looking at its Done would make it (a timer and a
	// goroutine's worth of bookkeeping) only to derive this one from it.
	dl := time.Now().Add(t.cfg.flushTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	fctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), dl)
	defer cancel()
	return f.ForceFlush(fctx)
}

// shutdown is the guard's shutdown hook.
func (t *tracer) shutdown(ctx context.Context) error {
	return shutdownProvider(ctx, t.cfg)
}

// Shutdown returns a hook for guard.WithShutdown that shuts the
// TracerProvider down (which exports what it still holds) when the execution
// environment ends, or only flushes it when it cannot be shut down (a
// provider that is not the SDK's). WithTracing adds it already; use it with
// Middleware.
func Shutdown(opts ...Option) func(context.Context) error {
	cfg := newConfig(opts)
	return func(ctx context.Context) error { return shutdownProvider(ctx, cfg) }
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
