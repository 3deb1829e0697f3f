package guard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/pprof"
	"sync"
	"time"
)

// SharedResource is a value that lives across invocations on purpose: a database
// connection or pool, an *http.Client, an SDK client. It is built once,
// lazily, by the first Get; when it has not been handed out for longer than
// the threshold given with WithValidate — most often because the execution
// environment was frozen in between, and a peer closed an idle connection
// meanwhile — the next Get checks it first and, if the check fails, closes it
// and builds a new one. Debug mode leaves it out of leak reports, and Start
// closes it when the environment shuts down.
//
// Declare a SharedResource once with NewShared, usually as a package-level
// variable; nothing is built before the first Get. All methods are safe for
// concurrent use: concurrent Gets wait for one build or check.
type SharedResource[T any] struct {
	name     string
	build    func(context.Context) (T, error)
	after    time.Duration
	validate func(context.Context, T) error
	close    func(context.Context, T) error

	sem     chan struct{} // held while a Get builds or checks, and by Close
	v       T
	built   bool
	lastUse int64 // UnixNano, wall clock, of the latest Get that handed v out
}

// SharedOption configures a SharedResource.
type SharedOption[T any] interface {
	applyShared(*SharedResource[T])
}

type sharedOptionFunc[T any] func(*SharedResource[T])

func (f sharedOptionFunc[T]) applyShared(s *SharedResource[T]) { f(s) }

// NewShared declares a shared resource named name (for logs and reports)
// made by build. build gets the context of the Get that needs the value: it
// may use it to connect, and must not keep it, since it ends with that
// invocation. Goroutines that build starts are the resource's own, not the
// invocation's: debug mode does not report them.
func NewShared[T any](name string, build func(context.Context) (T, error), opts ...SharedOption[T]) *SharedResource[T] {
	s := &SharedResource[T]{name: name, build: build, sem: make(chan struct{}, 1)}
	for _, o := range opts {
		if o != nil {
			o.applyShared(s)
		}
	}
	return s
}

// WithValidate makes Get check the value with check when it has not been
// handed out for longer than after (a ping for a database, a cheap call for
// an SDK client). When check returns an error the value is closed and built
// anew; when it returns nil the value is handed out as it is. Set after below
// the idle timeout of the peer (a database's idle_session_timeout, a load
// balancer's idle timeout), so that a value that may have been cut off is
// always checked. check gets the Get's context.
func WithValidate[T any](after time.Duration, check func(ctx context.Context, v T) error) SharedOption[T] {
	return sharedOptionFunc[T](func(s *SharedResource[T]) { s.after, s.validate = after, check })
}

// WithClose sets how the value is closed: when a check fails, by Close and
// at shutdown. Without it, a value with a Close(context.Context) error,
// Close() error or Close() method is closed with it, and an *http.Client's
// idle connections are closed.
func WithClose[T any](fn func(ctx context.Context, v T) error) SharedOption[T] {
	return sharedOptionFunc[T](func(s *SharedResource[T]) { s.close = fn })
}

// Name returns the name the resource was declared with.
func (s *SharedResource[T]) Name() string { return s.name }

// Get returns the value, building it on the first call, and after a long
// enough gap checking it first (see WithValidate). A build that fails or
// panics is not kept: its error is returned, and the next Get tries again.
// Get waits for a build or check of another invocation, but no longer than
// ctx allows. When a check fails because ctx ended, the value is kept and
// ctx's error returned.
func (s *SharedResource[T]) Get(ctx context.Context) (T, error) {
	var zero T
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return zero, fmt.Errorf("guard: shared %s: %w", s.name, context.Cause(ctx))
	}
	defer func() { <-s.sem }()
	now := time.Now()
	if s.built && s.validate != nil && now.Sub(time.Unix(0, s.lastUse)) > s.after {
		err := callSafe(ctx, func(ctx context.Context) error { return s.validate(ctx, s.v) })
		if err != nil && ctx.Err() != nil {
			return zero, fmt.Errorf("guard: shared %s: check: %w", s.name, err)
		}
		if err != nil {
			_ = s.drop(ctx) // it failed its check: closing it is a courtesy
		}
	}
	if !s.built {
		v, err := s.make(ctx)
		if err != nil {
			return zero, err
		}
		s.v, s.built = v, true
		shared.add(s)
	}
	s.lastUse = time.Now().UnixNano()
	return s.v, nil
}

// make builds a value in a goroutine of its own that carries no invocation's
// label, so that what the build starts — a pool's health checker, a
// connection's reader — is not attributed to the invocation that happened to
// need the value first.
func (s *SharedResource[T]) make(ctx context.Context) (v T, err error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		pprof.SetGoroutineLabels(context.Background())
		err = callSafe(ctx, func(ctx context.Context) error {
			var berr error
			v, berr = s.build(ctx)
			return berr
		})
	}()
	<-done
	if err != nil {
		var zero T
		return zero, fmt.Errorf("guard: shared %s: build: %w", s.name, err)
	}
	return v, nil
}

// Close closes the value, if one was built, and forgets it: a later Get
// builds a new one. It waits for a Get's build or check in progress, no
// longer than ctx allows.
func (s *SharedResource[T]) Close(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("guard: shared %s: close: %w", s.name, context.Cause(ctx))
	}
	defer func() { <-s.sem }()
	return s.drop(ctx)
}

// drop closes and forgets the value. The caller holds sem.
func (s *SharedResource[T]) drop(ctx context.Context) error {
	if !s.built {
		return nil
	}
	v := s.v
	var zero T
	s.v, s.built = zero, false
	shared.remove(s)
	err := callSafe(ctx, func(ctx context.Context) error { return s.closeValue(ctx, v) })
	if err != nil {
		return fmt.Errorf("guard: shared %s: close: %w", s.name, err)
	}
	return nil
}

func (s *SharedResource[T]) closeValue(ctx context.Context, v T) error {
	if s.close != nil {
		return s.close(ctx, v)
	}
	switch c := any(v).(type) {
	case interface{ Close(context.Context) error }:
		return c.Close(ctx)
	case io.Closer:
		return c.Close()
	case interface{ Close() }:
		c.Close()
	case interface{ CloseIdleConnections() }:
		c.CloseIdleConnections()
	}
	return nil
}

// sharedCloser is what the registry of built resources needs of a SharedResource.
type sharedCloser interface {
	Name() string
	Close(context.Context) error
}

// shared is the registry of the shared resources that are built, in the
// order they were built, for CloseShared and shutdown. Like the Watch
// registry it is package-level on purpose, guarded by its mutex, and holds
// no per-invocation data: only the resources themselves, from their first
// successful build until they are closed.
var shared sharedRegistry

type sharedRegistry struct {
	mu   sync.Mutex
	list []sharedCloser
}

func (r *sharedRegistry) add(s sharedCloser) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, s)
}

func (r *sharedRegistry) remove(s sharedCloser) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, x := range r.list {
		if x == s {
			r.list = append(r.list[:i], r.list[i+1:]...)
			return
		}
	}
}

func (r *sharedRegistry) snapshot() []sharedCloser {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sharedCloser(nil), r.list...)
}

// CloseShared closes every shared resource that is built, the last built
// first, within ctx, and returns the failures joined. Start calls it when the
// execution environment shuts down; call it yourself when you hand a wrapped
// handler to lambda.Start with your own SIGTERM hook. A resource still
// closing when ctx ends is left to the process's exit and named in the error.
func CloseShared(ctx context.Context) error {
	list := shared.snapshot()
	errc := make(chan error, 1)
	go func() {
		var errs []error
		for i := len(list) - 1; i >= 0; i-- {
			if ctx.Err() != nil {
				errs = append(errs, fmt.Errorf("guard: shared %s: not closed: %w", list[i].Name(), context.Cause(ctx)))
				continue
			}
			errs = append(errs, list[i].Close(ctx))
		}
		errc <- errors.Join(errs...)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return fmt.Errorf("guard: closing shared resources: %w", context.Cause(ctx))
	}
}
