package detect

import (
	"fmt"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/lambdaguard/lambdaguard/internal/snapshot"
)

// Var is a variable registered with guard.Watch.
type Var struct {
	name   string
	ptr    any
	lock   sync.Locker // nil: read only when the process is quiet
	shared bool
	err    error

	// check serialises the checks of the variable, so that its latest
	// snapshot only ever moves forward.
	check  sync.Mutex
	latest *snapshot.Snapshot // what the variable held at its latest check; nil before the first
	at     uint64             // the monitor's sequence number at that check
	period uint64             // the period (see monitor) latest belongs to
	noted  bool               // an "it could not be checked" finding was given since the latest check
}

// registry is the variables registered with guard.Watch: package-level on
// purpose, since a variable is registered once per process whatever guard
// reads it, and guarded by its mutex. It holds pointers to the user's
// package-level variables and what debug mode last recorded of them.
var registry struct {
	mu   sync.Mutex
	vars map[string]*Var
}

// varWalk reads and compares watched variables: the snapshot walk, and
// reflect's call machinery it needs to read an atomic by its Load method.
// Register installs it, so that a function that watches no variable does
// not carry it (about 150 KB of a binary): every read of a variable goes
// through walk, and only Register names the functions it holds.
type varWalk struct {
	take func(ptr any, opts snapshot.Options) *snapshot.Snapshot
	diff func(d *Detector, v *Var, before, after *snapshot.Snapshot, ids []string) []Finding
}

// walk is nil until a variable is watched; a Var that is checked was
// registered after it was set.
var walk atomic.Pointer[varWalk]

// Register registers the variable ptr points at under name, to be checked;
// a name given again replaces the earlier registration. lock, when not nil,
// is the lock that protects the variable.
func Register(name string, ptr any, lock sync.Locker) {
	if walk.Load() == nil {
		walk.CompareAndSwap(nil, &varWalk{take: snapshot.Take, diff: (*Detector).diffVar})
	}
	register(&Var{name: name, ptr: ptr, lock: lock})
}

// RegisterShared registers the variable ptr points at under name as shared
// across invocations on purpose: it is left out of reports, and never read.
func RegisterShared(name string, ptr any) {
	register(&Var{name: name, ptr: ptr, shared: true})
}

func register(v *Var) {
	if rv := reflect.ValueOf(v.ptr); rv.Kind() != reflect.Pointer || rv.IsNil() {
		call := "Watch"
		if v.shared {
			call = "Ignore"
		}
		v.err = fmt.Errorf("guard: %s(%q) needs a non-nil pointer, got %T", call, v.name, v.ptr)
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.vars == nil {
		registry.vars = make(map[string]*Var)
	}
	registry.vars[v.name] = v
}

// Unregister removes the variable registered under name.
func Unregister(name string) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	delete(registry.vars, name)
}

// vars returns the registered variables, sorted by name.
func vars() []*Var {
	registry.mu.Lock()
	out := make([]*Var, 0, len(registry.vars))
	for _, v := range registry.vars {
		out = append(out, v)
	}
	registry.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// checked returns the registered variables that are checked (not shared,
// registered correctly), split by whether they have a lock of their own,
// and a finding for each registration that failed.
func checked() (guarded, unguarded []*Var, errs []Finding) {
	for _, v := range vars() {
		switch {
		case v.err != nil:
			errs = append(errs, Finding{Kind: KindDetector, Name: v.name, Detail: v.err.Error()})
		case v.shared:
		case v.lock != nil:
			guarded = append(guarded, v)
		default:
			unguarded = append(unguarded, v)
		}
	}
	return guarded, unguarded, errs
}
