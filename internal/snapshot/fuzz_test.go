package snapshot

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzSnapshotDiff builds values from JSON (maps, slices, strings, numbers,
// nesting) under a holder that points to itself, and checks that a snapshot
// never panics, that a value diffed against a fresh snapshot of itself has
// no change, and that a value changed in place has changes exactly when its
// JSON changed.
func FuzzSnapshotDiff(f *testing.F) {
	f.Add([]byte(`{"a":1}`), []byte(`{"a":2,"b":[1,2,{"c":"x"}]}`))
	f.Add([]byte(`[1,[2,[3,[4]]]]`), []byte(`[]`))
	f.Add([]byte(`"s"`), []byte(`null`))
	f.Add([]byte(`{"a":[]}`), []byte(`{"a":null}`))
	f.Add([]byte(`[-0]`), []byte(`[0]`))
	// The same parts in other places: digests must tell where parts sit.
	f.Add([]byte(`{"a":{"b":1},"b":{"a":2}}`), []byte(`{"a":{"a":2},"b":{"b":1}}`))
	f.Add([]byte(`{"x":[1,"y"]}`), []byte(`{"x":["y",1]}`))
	f.Fuzz(func(t *testing.T, x, y []byte) {
		var a, b any
		if json.Unmarshal(x, &a) != nil || json.Unmarshal(y, &b) != nil {
			return
		}
		type holder struct {
			V    any
			Self *holder
		}
		h := &holder{V: a}
		h.Self = h
		o := Options{MaxDepth: 16, MaxNodes: 10000}
		before := Take(&h, o)
		if c, _ := Diff(before, Take(&h, o), 0); len(c) != 0 {
			t.Fatalf("a value differs from itself: %+v", c)
		}
		before.Strings(func(Path, string) bool { return true })

		h.V = b
		after := Take(&h, o)
		changes, more := Diff(before, after, 0)
		if more {
			t.Fatal("more changes than no limit")
		}
		if first, more := Diff(before, after, 1); len(changes) > 1 && (!more || len(first) != 1 || first[0].Path.String() != changes[0].Path.String()) {
			t.Fatalf("Diff with max 1 gave %v, more %v; all: %v", first, more, changes)
		}
		if before.Truncated != "" || after.Truncated != "" {
			return
		}
		ja, errA := json.Marshal(a)
		jb, errB := json.Marshal(b)
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if changed := !bytes.Equal(ja, jb); changed != (len(changes) > 0) {
			t.Fatalf("%s → %s: JSON changed %v, yet the diff has %+v", ja, jb, changed, changes)
		}
	})
}
