// Package snapshot takes deep, cycle-safe copies of Go values by reflection
// and diffs them, naming the path that changed the way go-cmp does
// (cache["user:42"], cfg.Token, list[3]).
//
// A snapshot reaches unexported fields, maps, slices, arrays, pointers and
// interfaces. A program may change its values with sync/atomic while they
// are read: atomics (and integers and unsafe pointers that live in memory)
// are read with atomic loads, a sync.Map through Range, so that a snapshot
// does not race with a correct program; sync primitives are opaque. A
// pointer, map or slice met twice is recorded once, then referred to by its
// address. It is bounded in depth and in size; where it stops it says so
// (Snapshot.Truncated). It never panics on any value: the walk recovers and
// reports a failure as truncation.
//
// Snapshot.Same reads a value along an earlier snapshot of it and records
// nothing: whether the value still holds what the snapshot recorded costs a
// fraction of a second snapshot and its diff.
package snapshot
