package guard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/lambdaguard/lambdaguard/scope"
)

// invoke is the one path every invocation takes, whichever wrapper it came
// through (Wrap, Start, WrapHandler, HTTP):
//
//  1. begin: count it, open its scope and its (lazy) temp directory, and make
//     the handler's context, which ends at the start of the cleanup reserve;
//  2. the thaw hooks, then call: the handler, inside the middleware;
//  3. end, deferred so that it runs however call ends (a result, an error, a
//     panic, runtime.Goexit): drain background work, run the cleanups and the
//     flush hooks, wipe the temp directory, report what debug mode found,
//     and raise the handler's panic again.
//
// event is what debug mode reads request strings from; nil when the
// invocation is not sampled and no middleware needs it, so that the typed
// fast path never boxes the event.
func invoke[T any](g *guard, ctx context.Context, id string, event any, sampled bool, call func(context.Context) (T, error)) (out T, err error) {
	inv := g.begin(ctx, id, event, sampled)
	streaming := false
	defer func() {
		r := recover()
		if streaming && r == nil {
			return // the body's reader ends the invocation (see stream)
		}
		g.end(inv, r)
	}()
	g.thaw(inv.ctx, inv.info)
	if g.det != nil {
		// After the thaw hooks, whose reconnecting is not the request's doing.
		// The handler's context carries debug mode's goroutine label.
		inv.handler, inv.debug = g.det.Begin(inv.handler, id, event, sampled)
	}
	out, err = call(inv.handler)
	if err == nil && isReader(any(out)) {
		// Only here is the result boxed and a closure made: most results
		// are not readers, and pay nothing for streaming.
		drainBy, _ := g.closeBy(inv, time.Now())
		end := func() {
			inv.debug.Resume(inv.handler) // the cleanups run under the invocation's label
			g.end(inv, nil)
		}
		if out, streaming = streamed(out, drainBy, end); streaming {
			// aws-lambda-go reads the body in this goroutine, but it is not
			// the handler's code: what starts from here is not the
			// invocation's.
			inv.debug.StopLabel()
			return out, nil
		}
		g.cfg.logger.LogAttrs(context.WithoutCancel(inv.ctx), slog.LevelWarn,
			"lambdaguard: the result is a reader of a type the guard cannot follow, and is read after the invocation closed; return an io.Reader or an *events.LambdaFunctionURLStreamingResponse",
			slog.String("requestId", id), slog.String("type", fmt.Sprintf("%T", out)))
	}
	switch n, ok := rawSize(any(out)); {
	case ok:
		g.checkResponseSize(inv.ctx, inv, n)
	case sampled:
		// Encoding the result to measure it is debug mode's, for the
		// invocations it checks.
		g.checkEncodedResponse(inv.ctx, inv, any(out))
	}
	return out, err
}

// begin opens an invocation: its facts, its scope, its temp directory (made
// on first use) and the handler's context.
func (g *guard) begin(ctx context.Context, id string, event any, sampled bool) *invocation {
	g.sweep.Do(g.sweepStale)
	now := time.Now()
	n := g.count.Add(1)
	running := g.inFlight.Add(1)
	inv := &invocation{
		info: Invocation{RequestID: id, Number: n, ColdStart: n == 1, Start: now, InFlight: int(running)},
		g:    g,
	}
	if d, ok := ctx.Deadline(); ok {
		inv.info.Deadline = d
	}
	if last := g.lastEnd.Load(); last != 0 && running == 1 {
		inv.info.Idle = now.Sub(time.Unix(0, last))
	}
	inv.scope = scope.New(ctx)
	// The invocation first, then the scope: the scope's first context is the
	// one its background work inherits values from, and it should find both.
	inv.ctx = scope.NewContext(withInvocation(ctx, inv), inv.scope)
	inv.handler = g.reserve(inv)
	return inv
}

// end closes the invocation. Background work is waited for until the start
// of the cleanup reserve, and what still runs then is cancelled and
// reported; the cleanups and the flush hooks get the time left before the
// real deadline. Failures are logged; they never change the handler's
// result. panicked is what the handler's recover returned.
func (g *guard) end(inv *invocation, panicked any) {
	// What must happen even when a cleanup or a flush hook ends its goroutine
	// (runtime.Goexit, as t.FailNow does): the wipe, the report, the
	// bookkeeping, and the handler's panic raised again.
	var errs []error
	defer func() {
		if d := inv.close(); d != nil {
			g.checkTemp(inv.ctx, inv, d)
			if err := d.Wipe(); err != nil {
				errs = append(errs, err)
			}
		}
		now := time.Now()
		g.checkFDs(inv.ctx, inv, now)
		g.inFlight.Add(-1)
		g.lastEnd.Store(now.UnixNano())
		if err := errors.Join(errs...); err != nil {
			g.cfg.logger.LogAttrs(context.WithoutCancel(inv.ctx), slog.LevelError, "lambdaguard: cleanup failed",
				slog.String("requestId", inv.info.RequestID), slog.String("error", err.Error()))
		}
		inv.logs.close()
		inv.hctx.end()
		// The cleanups ran under the invocation's goroutine label: one left
		// running past the deadline is the invocation's code, and keeps the
		// process from passing for quiet.
		if inv.debug != nil {
			inv.debug.StopLabel()
			inv.debug.SetOwnDir(inv.dirPath())
			g.det.End(inv.debug)
		}
		if panicked != nil {
			panic(panicked)
		}
	}()

	sc := inv.scope
	if len(g.cfg.flush) == 0 {
		// Nothing to wait for and nothing to run, as in most invocations:
		// closed at once, with no context to make.
		closed, err := sc.TryClose()
		if err != nil {
			errs = append(errs, err)
		}
		if closed {
			return
		}
	}
	drainBy, deadline := g.closeBy(inv, time.Now())
	base := context.WithoutCancel(inv.ctx)
	dctx, cancel := context.WithDeadline(base, drainBy)
	if err := sc.Drain(dctx); err != nil {
		g.cfg.logger.LogAttrs(base, slog.LevelWarn, "lambdaguard: background work outran the invocation and was cancelled",
			slog.String("requestId", inv.info.RequestID), slog.String("error", err.Error()))
	}
	cancel()
	cctx, cancelClose := context.WithDeadline(base, beforeWipe(deadline))
	defer cancelClose()
	if err := sc.Close(cctx); err != nil {
		errs = append(errs, err)
	}
	flush := func() {
		for _, fn := range g.cfg.flush {
			if err := callSafe(cctx, fn); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if inv.debug != nil && len(g.cfg.flush) > 0 {
		inv.debug.Flush(flush) // the exporter's sockets are not the invocation's leak
	} else {
		flush()
	}
}

// wipeMargin is kept from the cleanups' time for what comes after them: the
// temp-dir wipe and handing the result back.
const wipeMargin = 10 * time.Millisecond

// beforeWipe is the deadline cleanups get when the invocation must end by
// deadline: a moment before it stays for the wipe and the result, when
// there is time for it.
func beforeWipe(deadline time.Time) time.Time {
	if time.Until(deadline) > 2*wipeMargin {
		return deadline.Add(-wipeMargin)
	}
	return deadline
}
