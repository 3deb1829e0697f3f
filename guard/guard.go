package guard

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/uuid"

	"github.com/lambdaguard/lambdaguard/internal/detect"
	"github.com/lambdaguard/lambdaguard/scope"
	"github.com/lambdaguard/lambdaguard/tmpfs"
)

// guard is the state one wrapped handler keeps across its invocations: only
// counters and process-level facts, never anything of one invocation.
type guard struct {
	cfg *config
	det *detect.Detector // nil unless debug mode is on

	count    atomic.Uint64
	inFlight atomic.Int64
	lastEnd  atomic.Int64 // UnixNano of the end of the latest invocation
	// fdChecked is the UnixNano of the latest count of open descriptors.
	fdChecked atomic.Int64
	sweep     sync.Once
}

func newGuard(opts []Option) *guard {
	g := &guard{cfg: newConfig(opts)}
	if g.cfg.debug {
		g.det = newDetector(g.cfg)
	}
	return g
}

// requestID returns the Lambda request id carried by ctx, or a new UUID.
func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	return uuid.NewString()
}

// begin opens an invocation: its scope, its (lazy) temp directory, its facts.
// The caller defers finish before it runs anything of the user's, the thaw
// hooks (thaw) included: a hook that ends its goroutine (runtime.Goexit)
// must still leave the invocation closed.
func (g *guard) begin(ctx context.Context, reqID string) (context.Context, *invocation, *scope.Scope) {
	g.sweep.Do(g.sweepStale)
	now := time.Now()
	n := g.count.Add(1)
	running := g.inFlight.Add(1)
	info := Invocation{
		RequestID: reqID,
		Number:    n,
		ColdStart: n == 1,
		Start:     now,
		InFlight:  int(running),
	}
	if d, ok := ctx.Deadline(); ok {
		info.Deadline = d
	}
	if last := g.lastEnd.Load(); last != 0 && running == 1 {
		info.Idle = now.Sub(time.Unix(0, last))
	}
	inv := &invocation{info: info, base: g.cfg.tempBase}
	sc := scope.New(ctx)
	// The invocation first, then the scope: the scope's first context is the
	// one its background work inherits values from, and it should find both.
	ctx = withInvocation(ctx, inv)
	ctx = scope.NewContext(ctx, sc)
	ctx = g.reserve(ctx, inv)
	return ctx, inv, sc
}

// finish closes the invocation: it waits for background work until the
// start of the cleanup reserve, cancelling and reporting what still runs
// then, runs the cleanups and wipes the temp directory within the real
// deadline. Failures are logged; they never change the handler's result.
func (g *guard) finish(ctx context.Context, inv *invocation, sc *scope.Scope, w *detect.Inv) {
	defer inv.handler.stop() // the handler's context, which ends at the reserve
	now := time.Now()
	drainBy, end := g.closeBy(inv, now)
	var errs []error
	slow := len(g.cfg.flush) > 0 // whether "now" needs reading again at the end
	if sc.Pending() > 0 {
		slow = true
		base := context.WithoutCancel(ctx)
		dctx, cancel := context.WithDeadline(base, drainBy)
		if err := sc.Drain(dctx); err != nil {
			g.cfg.logger.LogAttrs(base, slog.LevelWarn, "lambdaguard: background work outran the invocation and was cancelled",
				slog.String("requestId", inv.info.RequestID), slog.String("error", err.Error()))
		}
		cancel()
	}
	// A moment before the real deadline stays for the wipe and the result.
	if end.Sub(now) > 2*wipeMargin {
		end = end.Add(-wipeMargin)
	}
	// Made only if a cleanup or background work looks at it.
	inv.cleanup.init(ctx, end, nil, true)
	defer inv.cleanup.stop()
	if err := sc.Close(&inv.cleanup); err != nil {
		errs = append(errs, err)
	}
	// The wipe and the bookkeeping run even when a flush hook ends its
	// goroutine (runtime.Goexit, as t.FailNow does): callSafe recovers
	// panics only.
	defer func() {
		if d := inv.end(); d != nil {
			slow = true
			g.checkTemp(ctx, inv, d)
			if err := d.Wipe(); err != nil {
				errs = append(errs, err)
			}
		}
		if slow {
			now = time.Now()
		}
		g.checkFDs(ctx, inv, now)
		g.inFlight.Add(-1)
		// The end of a quick invocation is close enough to its "now": the
		// gap this measures is a freeze, seconds to hours.
		g.lastEnd.Store(now.UnixNano())
		if err := errors.Join(errs...); err != nil {
			g.cfg.logger.LogAttrs(context.WithoutCancel(ctx), slog.LevelError, "lambdaguard: cleanup failed",
				slog.String("requestId", inv.info.RequestID), slog.String("error", err.Error()))
		}
	}()
	flush := func() {
		for _, fn := range g.cfg.flush {
			if err := callSafe(&inv.cleanup, fn); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if w != nil && len(g.cfg.flush) > 0 {
		w.Flush(flush)
	} else {
		flush()
	}
}

// wipeMargin is kept from the cleanups' time for what comes after them: the
// temp-dir wipe and handing the result back.
const wipeMargin = 10 * time.Millisecond

// sweepStale removes temp directories that killed invocations left behind.
// It runs once, before the first invocation of the process.
func (g *guard) sweepStale() {
	n, err := tmpfs.Sweep(g.cfg.tempBase)
	if n > 0 {
		g.cfg.logger.Info("lambdaguard: removed stale temp directories", slog.Int("count", n))
	}
	if err != nil {
		g.cfg.logger.Warn("lambdaguard: sweeping stale temp directories", slog.String("error", err.Error()))
	}
}

// invoke runs one invocation of call: begin, the thaw hooks, the handler
// through the middleware, finish. A panic of the handler is recovered, the
// invocation cleaned up, and the panic raised again with the same value so
// that aws-lambda-go reports it as it would without the guard;
// runtime.Goexit (t.FailNow in a test) is cleaned up after too.
func (g *guard) invoke(ctx context.Context, reqID string, event any, call Next) (any, error) {
	return g.invokeSampled(ctx, reqID, event, call, g.det != nil && g.det.Pick())
}

// invokeSampled is invoke with debug mode's sample drawn: sampled says
// whether debug mode checks this invocation.
func (g *guard) invokeSampled(ctx context.Context, reqID string, event any, call Next, sampled bool) (any, error) {
	ctx, inv, sc := g.begin(ctx, reqID)
	var w *detect.Inv // set once the thaw hooks have run, in debug mode
	defer func() {
		r := recover()
		// The cleanups run under the invocation's label: a cleanup left
		// running past the deadline is the invocation's code, and must
		// keep the process from passing for quiet.
		g.finish(ctx, inv, sc, w)
		w.StopLabel()
		if w != nil {
			w.SetOwnDir(inv.dirPath())
			g.det.End(w)
		}
		if r != nil {
			panic(r)
		}
	}()
	g.thaw(ctx, inv.info)
	hctx := ctx
	if g.det != nil {
		// The handler gets the context that carries the invocation's
		// goroutine label; cleanup keeps the unlabelled one.
		hctx, w = g.det.Begin(ctx, reqID, event, sampled)
	}
	res, err := chain(hctx, g.cfg.middleware, event, call)
	// Encoding the result to measure it is debug mode's, for the
	// invocations it checks.
	g.checkResponse(ctx, inv, res, w.Sampled())
	return res, err
}
