package guard

import (
	"sync"

	"github.com/lambdaguard/lambdaguard/internal/detect"
)

// WatchOption configures a watched variable.
type WatchOption interface {
	applyWatch(*watchOptions)
}

type watchOptions struct {
	lock sync.Locker
}

type watchOptionFunc func(*watchOptions)

func (f watchOptionFunc) applyWatch(w *watchOptions) { f(w) }

// GuardedBy names the lock that protects the variable. Debug mode then reads
// the variable under that lock (for reading, when it is a *sync.RWMutex) at
// the end of every invocation, and reports each change once, by the first
// invocation to end after it. If the lock stays held for longer than a
// moment the check is left to the next invocation: debug mode never waits
// on a handler.
//
// A variable without GuardedBy is read only when no handler of any guard
// runs and no goroutine an earlier invocation left is alive: reading it at
// any other time could race with a write, and for a map crash the process.
func GuardedBy(l sync.Locker) WatchOption {
	return watchOptionFunc(func(w *watchOptions) { w.lock = l })
}

// Watch registers a package-level variable for debug-mode checks: its
// content is recorded by a deep, cycle-safe walk and diffed afterwards, and
// every change is a finding naming the path that changed (cache["user:42"],
// cfg.Token), map keys redacted. The walk reaches unexported fields, maps,
// slices, pointers and interfaces; values that another lock protects
// (contexts, sync types, files, connections, clients) are compared by
// identity only, atomics are read atomically, and a struct with a mutex is
// read under that mutex when it is free. ptr must be a non-nil pointer;
// anything else is reported as a detector finding rather than a panic.
// Watching a name again replaces the earlier registration.
//
// The registry is process-wide, whichever guard runs the handler. Call
// Watch from main or init, before the handler runs. It costs nothing while
// debug mode is off.
func Watch(name string, ptr any, opts ...WatchOption) {
	var o watchOptions
	for _, opt := range opts {
		if opt != nil {
			opt.applyWatch(&o)
		}
	}
	detect.Register(name, ptr, o.lock)
}

// Ignore declares a package-level variable that is shared across
// invocations on purpose — a connection pool, an SDK client, a cache whose
// entries are not per caller: debug mode leaves it out of its reports, and
// lambdaguard vet does not report writes to it. Like Watch, call it from main
// or init; ptr points at the variable. A value built with NewShared or
// SharedHTTPClient needs no Ignore.
func Ignore(name string, ptr any) { detect.RegisterShared(name, ptr) }
