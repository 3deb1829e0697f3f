package snapshot

import (
	"encoding/json"
	"slices"
	"testing"
)

// FuzzSnapshotDiff builds arbitrary values from JSON (maps, slices, strings,
// numbers, nesting) plus a cycle, snapshots two of them and diffs them: it
// must never panic, a value diffed against itself has no changes, and
// Snapshot.Same agrees with the diff.
func FuzzSnapshotDiff(f *testing.F) {
	f.Add([]byte(`{"a":1}`), []byte(`{"a":2,"b":[1,2,{"c":"x"}]}`))
	f.Add([]byte(`[1,[2,[3,[4]]]]`), []byte(`[]`))
	f.Add([]byte(`"s"`), []byte(`null`))
	f.Fuzz(func(t *testing.T, x, y []byte) {
		var a, b any
		if json.Unmarshal(x, &a) != nil || json.Unmarshal(y, &b) != nil {
			return
		}
		type holder struct {
			V    any
			Self *holder
		}
		ha := &holder{V: a}
		ha.Self = ha
		hb := &holder{V: b}
		hb.Self = hb
		lim := Limits{MaxDepth: 16, MaxNodes: 10000}
		sa, sb := Take(&ha, lim), Take(&hb, lim)
		_, _ = Diff(sa, sb, 100)
		if c, _ := Diff(sa, Take(&ha, lim), 0); len(c) != 0 {
			t.Fatalf("value differs from itself: %+v", c)
		}
		sa.Strings(func(string, string) bool { return true })
		// Unchanged, the value is the same; changed, it is the same only
		// when a diff finds nothing.
		if sa.Truncated == "" && !sa.Same(&ha) {
			t.Fatal("an unchanged value is not the same")
		}
		// A map at the root, changed in place by the other value: a
		// snapshot taken with Base diffs as a whole one does.
		if ma, ok := a.(map[string]any); ok {
			before := Take(&ma, lim)
			if mb, ok := b.(map[string]any); ok {
				for k, v := range mb {
					ma[k] = v
				}
			} else {
				clear(ma)
			}
			whole := Take(&ma, Limits{MaxDepth: lim.MaxDepth, MaxNodes: lim.MaxNodes, Like: before})
			cw, mw := Diff(before, whole, 100)
			cb, mb := Diff(before, Take(&ma, Limits{MaxDepth: lim.MaxDepth, MaxNodes: lim.MaxNodes, Like: before, Base: before}), 100)
			if before.Truncated == "" && whole.Truncated == "" && (mw != mb || !slices.Equal(changeSet(cw), changeSet(cb))) {
				t.Fatalf("with Base %v, whole %v", changeSet(cb), changeSet(cw))
			}
		}
		ha.V = b
		if sa.Same(&ha) {
			if c, _ := Diff(sa, Take(&ha, lim), 0); len(c) != 0 {
				t.Fatalf("Same, yet the diff has %+v", c)
			}
		}
	})
}
