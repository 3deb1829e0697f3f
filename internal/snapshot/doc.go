// Package snapshot records what a Go value holds, by reflection, and diffs
// two such records, naming the path that changed the way go-cmp does
// (cache["user:42"], .Cfg.Token, [3]). Debug mode takes one of each watched
// variable before an invocation and one after.
//
// A snapshot is a tree of nodes, each with its path: one per struct, map,
// map entry, slice, array and leaf. Pointers and interfaces add no step to
// a path: a pointer's node is its target's, an interface's is its dynamic
// value's (with the dynamic type). Containers are nodes too, so that an
// entry added or removed is reported once, at its path, and what lies under
// it is not reported again. Unexported fields are read like exported ones.
// Diff walks two trees in step, pairing map entries by path, and passes
// over any subtree whose digest is the same in both.
//
// The walk reads a running program's memory, and a correct program must
// never be crashed or raced by it. Hence its rules:
//
//   - What another lock protects is never entered. Channels, funcs, unsafe
//     pointers, contexts, and the structs of sync, os, net, net/http,
//     database/sql, crypto/tls, reflect, runtime, log, log/slog, testing,
//     io, bufio and time are opaque leaves, compared by address (or not at
//     all when held by value): their state belongs to goroutines the
//     program does not even know of, and is no data of the program's own.
//   - A struct with a sync.Mutex or sync.RWMutex field is read under it,
//     taken with TryLock (TryRLock), never waited for; when another
//     goroutine holds it the struct is skipped (Snapshot.Skipped), and a
//     skipped node equals anything, so that a lock held at the wrong moment
//     is no change. Locks the caller holds (Options.Held) are not tried.
//   - sync/atomic types are read with their Load method, and integers and
//     unsafe pointers in memory with atomic loads: a program may update
//     them so while the walk reads.
//   - A time.Time is a leaf: its instant and its location's name. Its
//     fields would count as a change the monotonic reading dropped by Round
//     and the Location that time.Local fills in lazily.
//   - A pointer, map or slice that is an ancestor on the walk's stack
//     becomes a ref node naming that ancestor: cycles end. A value reached
//     by two paths is walked at both, so that a path's contents never
//     depend on which way the walk (in random map order) came first.
//   - Map keys are rendered in Go syntax; keys that render alike (NaN, say)
//     are numbered in the order of a digest of their entries, so that a map
//     nobody changed gives the same paths twice.
//   - The walk is bounded in depth and in nodes (Options), and recovers from
//     any panic; where it stops, Snapshot.Truncated says why, and Diff then
//     compares only the paths both snapshots hold.
//
// The caller chooses when to take a snapshot: a variable with no lock of
// its own is read only when no handler runs (see the guard package), since
// a map written meanwhile would be a fatal error no recover can catch.
package snapshot
