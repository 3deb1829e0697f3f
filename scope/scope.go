package scope

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrClosed is returned when something is stored in, or registered with, a
// scope that has already been closed.
var ErrClosed = errors.New("scope: closed")

// Scope is the container of one invocation. Create it with [New]; the zero
// value is not usable, a nil *Scope is (it holds nothing and every method
// that would store returns ErrNoScope). All methods are safe for concurrent use.
type Scope struct {
	parent context.Context

	mu sync.Mutex
	// ctx is handed to Go work and returned by Context; it is made on first
	// use, so that an invocation that starts no work does not pay for it.
	ctx    context.Context
	cancel context.CancelCauseFunc
	cause  error // why the scope's context ends, once it must; guarded by mu

	closed   bool
	values   map[any]any // made on the first store
	cleanups []func(context.Context) error

	goErr     error         // first error returned by Go work, guarded by mu
	inFlight  int           // Go work still running, guarded by mu
	idle      chan struct{} // closed when inFlight drops to 0; made by the first waiter; guarded by mu
	abandoned bool          // Drain gave up on the work; Close does not wait again; guarded by mu

	closeOnce sync.Once // Do returns to every caller once the first close is over
	closeErr  error

	node     scopeCtx // the context NewContext returns first, kept here to save an allocation
	nodeUsed bool     // guarded by mu
}

// New returns an open scope whose background work runs with a context derived
// from parent. The scope's context is cancelled when Close starts waiting, so
// work started with Go should watch it.
func New(parent context.Context) *Scope {
	return &Scope{parent: parent}
}

// contextLocked returns the scope's context, making it the first time: a
// context made after the scope was cancelled is cancelled at once, with the
// same cause.
func (s *Scope) contextLocked() context.Context {
	if s.ctx == nil {
		base := s.parent
		if s.nodeUsed {
			// The first context that carried the scope: work started with Go
			// finds the scope (and what was put in before it) through it.
			base = &s.node
		}
		s.ctx, s.cancel = context.WithCancelCause(context.WithoutCancel(base))
		if s.cause != nil {
			s.cancel(s.cause)
		}
	}
	return s.ctx
}

// cancelContext ends the scope's context with cause, the first cause given
// winning, as with context.WithCancelCause.
func (s *Scope) cancelContext(cause error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancelLocked(cause)
}

func (s *Scope) cancelLocked(cause error) {
	if s.cause == nil {
		s.cause = cause
	}
	if s.cancel != nil {
		s.cancel(cause)
	}
}

// OnClose registers fn to run when the scope closes. Cleanups run last in,
// first out, as with testing.T.Cleanup; a cleanup that panics or fails does not
// stop the others, and every failure is part of the error Close returns.
// fn receives Close's context: it should give up when that context is done;
// one still running shortly after is left behind (see Close).
// OnClose on a closed scope returns ErrClosed and does not register fn.
func (s *Scope) OnClose(fn func(context.Context) error) error {
	if s == nil {
		return ErrNoScope
	}
	if fn == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.cleanups = append(s.cleanups, fn)
	return nil
}

// Go runs fn in a new goroutine that Close waits for, like an errgroup.Group.
// The first error returned (or panic recovered) is kept and returned by
// Close; later ones are dropped. fn receives the scope's context, cancelled
// once Close's own context is done, so a well-behaved fn stops when the
// invocation runs out of time; it carries the values of the first context
// made with NewContext for this scope (under the guard: the scope itself and
// the invocation). Use GoWith when fn needs values added later, such as a
// span. Go on a closed scope returns ErrClosed and does not start fn.
func (s *Scope) Go(fn func(context.Context) error) error {
	if s == nil {
		return ErrNoScope
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.inFlight++
	ctx := s.contextLocked()
	s.mu.Unlock()
	go func() {
		var err error
		defer func() {
			s.mu.Lock()
			if err != nil && s.goErr == nil {
				s.goErr = err
			}
			s.inFlight--
			if s.inFlight == 0 && s.idle != nil {
				close(s.idle)
				s.idle = nil
			}
			s.mu.Unlock()
		}()
		err = callRecover(func() error { return fn(ctx) })
	}()
	return nil
}

// GoWith is Go for work that needs the values of ctx — a span that
// middleware started, a logger put in by the handler: fn's context carries
// ctx's values and the scope's cancellation (it is not cancelled when ctx
// is, so work outlives a request context that ends before Close).
func (s *Scope) GoWith(ctx context.Context, fn func(context.Context) error) error {
	return s.Go(func(sctx context.Context) error {
		return fn(valuesFrom{Context: sctx, values: ctx})
	})
}

// valuesFrom is a context with the deadline and cancellation of one context
// and the values of another.
type valuesFrom struct {
	context.Context
	values context.Context
}

func (v valuesFrom) Value(key any) any { return v.values.Value(key) }

// TryClose closes the scope if Close would have nothing to wait for and
// nothing to run — no work started with Go still running, no cleanup
// registered — and reports whether it did, with the error of work that
// already returned, as Close would. It never blocks: otherwise the scope
// stays open, for Close with a context that bounds the work. The check and
// the close are one step, so work or a cleanup registered meanwhile by
// another goroutine is either refused (ErrClosed) or keeps the scope open.
// A Close after it returns the same error.
func (s *Scope) TryClose() (bool, error) {
	if s == nil {
		return false, ErrNoScope
	}
	s.mu.Lock()
	if s.closed || s.inFlight > 0 || len(s.cleanups) > 0 {
		s.mu.Unlock()
		return false, nil
	}
	return true, s.closeIdleLocked()
}

// closeIdleLocked closes a scope with no work running and no cleanup
// registered, in the critical section the caller holds (and ends): closed,
// values dropped, context cancelled. It returns the error work that already
// returned kept.
func (s *Scope) closeIdleLocked() error {
	s.closed = true
	err := s.goErr
	values := s.values
	s.values = nil
	s.cancelLocked(ErrClosed)
	s.mu.Unlock()
	clear(values)
	if err != nil {
		return errors.Join(err)
	}
	return nil
}

// Close ends the scope: it stops accepting values, cleanups and work, waits
// for the work started with Go, runs the cleanups in reverse order, and drops
// every stored value. It is bounded by ctx: when ctx is done before the work
// has finished, the scope's context is cancelled, Close stops waiting, still
// runs the cleanups (with the expired ctx, so they can give up at once) and
// reports ctx's error. A cleanup still running 100ms after ctx is done is
// left behind and reported, and the next one runs: no cleanup can hold Close
// much past its context. Close returns the errors of the work, the cleanups and
// the deadline joined with errors.Join.
//
// Close is idempotent: later calls wait for the first one to finish and
// return its result.
func (s *Scope) Close(ctx context.Context) error {
	if s == nil {
		return ErrNoScope
	}
	s.closeOnce.Do(func() { s.closeErr = s.close(ctx) })
	return s.closeErr
}

func (s *Scope) close(ctx context.Context) error {
	s.mu.Lock()
	if s.inFlight == 0 && len(s.cleanups) == 0 {
		// Nothing runs and nothing is to clean up, as in most invocations:
		// one critical section, no waiting.
		return s.closeIdleLocked()
	}
	s.closed = true
	abandoned := s.abandoned
	s.mu.Unlock()

	var errs []error
	if !abandoned {
		if err := s.wait(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	s.mu.Lock()
	if s.goErr != nil {
		errs = append(errs, s.goErr)
	}
	s.mu.Unlock()

	s.mu.Lock()
	cleanups := s.cleanups
	s.cleanups = nil
	s.mu.Unlock()
	if len(cleanups) > 0 {
		cctx, hard, cancel := cleanupBudget(ctx)
		overtime := maxOvertime
		for i := len(cleanups) - 1; i >= 0; i-- {
			if err := runCleanup(cctx, hard, &overtime, cleanups[i]); err != nil {
				errs = append(errs, err)
			}
		}
		cancel()
	}

	// Values go last: cleanups may still read them.
	s.mu.Lock()
	values := s.values
	s.values = nil
	s.mu.Unlock()
	clear(values)
	s.cancelContext(ErrClosed)
	return errors.Join(errs...)
}

// lateGrace is how long a cleanup may still take once its context is done:
// enough for one that honours its context to notice and return, short
// enough that one that ignores it cannot hold the invocation.
const lateGrace = 100 * time.Millisecond

// cleanupBudget splits the time Close has into the cleanups' own deadline
// and a grace after it, so that Close itself returns by ctx's deadline even
// when cleanups ignore their context: cleanups get a context that ends
// lateGrace (at most half the time left) before ctx's deadline, and
// whatever still runs at ctx's deadline (hard) is left behind. Without a
// deadline, a cancellation of ctx is followed by lateGrace.
func cleanupBudget(ctx context.Context) (context.Context, time.Time, context.CancelFunc) {
	hard, ok := ctx.Deadline()
	if !ok {
		return ctx, time.Time{}, func() {}
	}
	grace := min(lateGrace, max(time.Until(hard)/2, 0))
	cctx, cancel := context.WithDeadline(ctx, hard.Add(-grace))
	return cctx, hard, cancel
}

// maxOvertime is all the time Close gives cleanups once its deadline has
// passed: a cleanup that returns at once (it sees its context is done) still
// runs to the end, one that does not is left behind.
const maxOvertime = 5 * time.Millisecond

// waitLimit is how long to wait for a cleanup whose context is done: the
// first stuck one until halfway through the grace, so that the cleanups
// after it still get the second half to finish; later ones until hard, and
// past hard not at all.
func waitLimit(ctx context.Context, hard time.Time) time.Duration {
	if hard.IsZero() {
		return lateGrace
	}
	soft, _ := ctx.Deadline()
	if mid := soft.Add(hard.Sub(soft) / 2); time.Now().Before(mid) {
		return time.Until(mid)
	}
	return time.Until(hard)
}

// runCleanup runs fn with ctx and waits for it until ctx is done and then
// until hard (or lateGrace more, when there is no deadline). A cleanup
// still running then is left to finish on its own (its error, if any, is
// lost) and reported as an error wrapping ctx's cause: a cleanup that
// ignores its context must neither hold Close past the deadline nor keep
// the cleanups after it from running.
func runCleanup(ctx context.Context, hard time.Time, overtime *time.Duration, fn func(context.Context) error) error {
	if ctx.Done() == nil { // no deadline, no cancellation: nothing to bound by
		return callRecover(func() error { return fn(ctx) })
	}
	done := make(chan error, 1)
	go func() {
		// Deferred, so that runtime.Goexit in fn (t.FailNow) still reports.
		finished := false
		defer func() {
			if !finished {
				done <- errors.New("scope: a cleanup called runtime.Goexit")
			}
		}()
		err := callRecover(func() error { return fn(ctx) })
		finished = true
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	wait := waitLimit(ctx, hard)
	if wait <= 0 {
		// Past Close's deadline: a moment of the overtime, shared by all.
		wait = min(*overtime, time.Millisecond)
		start := time.Now()
		defer func() { *overtime -= time.Since(start) }()
	}
	grace := time.NewTimer(max(wait, 0))
	defer grace.Stop()
	select {
	case err := <-done:
		return err
	case <-grace.C:
		return fmt.Errorf("scope: a cleanup was still running when the deadline came, and was left behind: %w", context.Cause(ctx))
	}
}

// wait waits for Go work until it finishes or ctx is done.
func (s *Scope) wait(ctx context.Context) error {
	s.mu.Lock()
	if s.inFlight == 0 {
		// Nothing runs. Work that returned has already kept its error.
		s.mu.Unlock()
		return nil
	}
	if s.idle == nil {
		s.idle = make(chan struct{})
	}
	idle := s.idle
	s.mu.Unlock()
	// Go may still start work meanwhile (Drain leaves the scope open): the
	// wait ends the first time nothing runs.
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
	}
	// Counted before the work is cancelled: a task that returns once
	// cancelled was running all the same when the deadline came.
	s.mu.Lock()
	n := s.inFlight
	s.mu.Unlock()
	s.cancelContext(context.Cause(ctx))
	if n == 0 {
		return nil
	}
	return fmt.Errorf("scope: %d background task(s) still running when the deadline came: %w", n, context.Cause(ctx))
}

// PanicError is the error a recovered panic of a cleanup or a Go function
// becomes.
type PanicError struct {
	Value any
}

// Error describes the panic.
func (p *PanicError) Error() string { return fmt.Sprintf("scope: panic: %v", p.Value) }

// Unwrap returns the panic value when it is an error.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

func callRecover(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r}
		}
	}()
	return fn()
}
