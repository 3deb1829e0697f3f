// Package snapshot takes deep, cycle-safe copies of Go values by reflection
// and diffs them, naming the path that changed the way go-cmp does
// (cache["user:42"], cfg.Token, list[3]).
//
// A snapshot reaches unexported fields, maps, slices, arrays, pointers and
// interfaces. It is bounded in depth and in size; where it stops it says so
// (Snapshot.Truncated). It never panics on any value: the walk recovers and
// reports a failure as truncation.
package snapshot
