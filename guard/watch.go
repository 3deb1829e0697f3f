package guard

import (
	"fmt"
	"reflect"
	"sort"
	"sync"

	"github.com/lambdaguard/lambdaguard/internal/snapshot"
)

// WatchOption configures a watched variable.
type WatchOption func(*watched)

// Shared declares a variable that is shared across invocations on purpose —
// a connection pool, an SDK client, a cache whose entries are not per
// caller. It is registered so that tooling knows of it, and left out of leak
// reports.
func Shared() WatchOption { return func(w *watched) { w.shared = true } }

// GuardedBy names the lock that protects the variable: debug mode holds it
// while it reads the variable (a snapshot, or the check against one), so
// that reading it does not race with a concurrent invocation writing it.
func GuardedBy(l sync.Locker) WatchOption { return func(w *watched) { w.lock = l } }

type watched struct {
	name   string
	ptr    any
	shared bool
	lock   sync.Locker
	err    error

	// spare holds released snapshots of the variable (cleared: no copy of
	// its data), whose memory the next ones reuse rather than allocating
	// as much again on every invocation.
	spareMu sync.Mutex
	spare   []*snapshot.Snapshot
}

// maxSpare is how many released snapshots a variable keeps: the two of
// one invocation at a time.
const maxSpare = 2

// reuse returns a released snapshot of v, or nil.
func (v *watched) reuse() *snapshot.Snapshot {
	v.spareMu.Lock()
	defer v.spareMu.Unlock()
	n := len(v.spare)
	if n == 0 {
		return nil
	}
	s := v.spare[n-1]
	v.spare[n-1] = nil
	v.spare = v.spare[:n-1]
	return s
}

// release clears snapshots of v and keeps them for reuse.
func (v *watched) release(snaps ...*snapshot.Snapshot) {
	for _, s := range snaps {
		if s == nil {
			continue
		}
		s.Release()
		v.spareMu.Lock()
		if len(v.spare) < maxSpare {
			v.spare = append(v.spare, s)
		}
		v.spareMu.Unlock()
	}
}

// registry is the one piece of package-level mutable state: the variables
// registered with Watch, guarded by its mutex. It holds pointers to the
// user's package-level variables, never per-invocation data (the spare
// snapshots of a variable are cleared before they are kept).
var registry struct {
	mu   sync.Mutex
	vars map[string]*watched
}

// Watch registers a package-level variable for debug-mode snapshots: before
// each invocation the guard records a deep copy of *ptr, after it the guard
// diffs, and every change is a finding naming the path that changed
// (cache["user:42"], cfg.Token). ptr must be a non-nil pointer; anything else
// is reported as a detector finding rather than a panic. Watching a name
// again replaces the earlier registration.
//
// Call Watch from main or init, before the handler runs. It costs nothing
// while debug mode is off.
func Watch(name string, ptr any, opts ...WatchOption) {
	w := &watched{name: name, ptr: ptr}
	for _, o := range opts {
		if o != nil {
			o(w)
		}
	}
	if v := reflect.ValueOf(ptr); v.Kind() != reflect.Pointer || v.IsNil() {
		w.err = fmt.Errorf("guard: Watch(%q) needs a non-nil pointer, got %T", name, ptr)
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.vars == nil {
		registry.vars = make(map[string]*watched)
	}
	registry.vars[name] = w
}

// Unwatch removes the variable registered under name.
func Unwatch(name string) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	delete(registry.vars, name)
}

// watchedVars returns the registered variables, sorted by name.
func watchedVars() []*watched {
	registry.mu.Lock()
	out := make([]*watched, 0, len(registry.vars))
	for _, w := range registry.vars {
		out = append(out, w)
	}
	registry.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}
