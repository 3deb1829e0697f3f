package snapshot

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allocated reports the bytes f allocates.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// The room made for a large container after its first elements is bounded:
// when those are much larger than the rest, a snapshot must not take
// memory for the rest as if they were as large.
func TestFirstLargeElementsDoNotSizeTheRest(t *testing.T) {
	type P struct{ A, B int }
	strs := make([][]string, 10_000)
	ptrs := make([][]*P, 10_000)
	for i := range 32 {
		strs[i] = make([]string, 2000)
		ptrs[i] = make([]*P, 2000)
		for j := range 2000 {
			strs[i][j] = "x"
			ptrs[i][j] = &P{}
		}
	}
	for name, v := range map[string]any{"strings": &strs, "pointers": &ptrs} {
		var s *Snapshot
		got := allocated(func() { s = Take(v, Limits{}) })
		require.Empty(t, s.Truncated, name)
		// 74,001 and 266,001 values: the projection's budget and some
		// doubling, about 30 MB; projected from the first elements alone,
		// over 300 MB.
		assert.Less(t, got, uint64(64<<20), "%s: %d MB for %d values", name, got>>20, s.Nodes())
	}
}

// selfShrinking is a map key whose String method, called when the key is
// rendered, deletes another entry of its map: the map shrinks while the
// snapshot reads it, as it does when another goroutine deletes from it.
type selfShrinking struct {
	m *map[selfShrinking]*int
	i int
}

func (k selfShrinking) String() string {
	for other := range *k.m {
		if other.i != k.i {
			delete(*k.m, other)
			break
		}
	}
	return fmt.Sprint(k.i)
}

func TestMapThatShrinksWhileRead(t *testing.T) {
	for _, n := range []int{10, 63, 64, 200} { // below and above the read-ahead
		m := map[selfShrinking]*int{}
		for i := range n {
			m[selfShrinking{&m, i}] = new(int)
		}
		s := Take(&m, Limits{})
		assert.Empty(t, s.Truncated, "n=%d", n)
		assert.Greater(t, s.Nodes(), 1, "n=%d", n)
	}
}

// A snapshot that reuses a released one's memory records the same as one
// taken afresh, and the diff still finds every change.
func TestReuse(t *testing.T) {
	type entry struct {
		Token string
		Tags  []string
		N     int
	}
	data := map[string]*entry{}
	for i := range 500 {
		data[fmt.Sprintf("k%03d", i)] = &entry{Token: fmt.Sprintf("tok-%d", i), Tags: []string{"a", "b"}, N: i}
	}
	var spare1, spare2 *Snapshot
	for round := range 4 {
		before := Take(&data, Limits{Reuse: spare1})
		fresh := Take(&data, Limits{})
		changes, _ := Diff(fresh, before, 0)
		require.Empty(t, changes, "round %d: a reused snapshot differs from a fresh one", round)

		// The invocation: one value changed, one entry added, one removed.
		data["k001"].Token = fmt.Sprintf("changed-%d", round)
		data[fmt.Sprintf("new-%d", round)] = &entry{Token: "x"}
		delete(data, fmt.Sprintf("k%03d", 400+round))

		after := Take(&data, Limits{Like: before, Reuse: spare2})
		changes, _ = Diff(before, after, 0)
		var got []string
		for _, c := range changes {
			got = append(got, c.Path)
		}
		assert.ElementsMatch(t, []string{
			`["k001"].Token`,
			fmt.Sprintf(`["new-%d"]`, round),
			fmt.Sprintf(`["k%03d"]`, 400+round),
		}, got, "round %d", round)

		before.Release()
		after.Release()
		spare1, spare2 = before, after
	}
}

// Release leaves no copy of the data in the snapshot's memory, which is
// kept for reuse.
func TestReleaseClears(t *testing.T) {
	secret := "s3cr3t-" + fmt.Sprint(42)
	data := map[string]string{"token": secret}
	s := Take(&data, Limits{})
	s.Release()
	for _, str := range s.strs[:cap(s.strs)] {
		assert.NotEqual(t, secret, str)
	}
	for _, n := range s.nodes[:cap(s.nodes)] {
		assert.Equal(t, node{}, n)
	}
	s.Release() // twice is harmless
}

// A snapshot is never reused while it is the one a new snapshot is like,
// nor before it was released.
func TestReuseNeedsARelease(t *testing.T) {
	data := map[string]int{"a": 1, "b": 2}
	live := Take(&data, Limits{})
	data["a"] = 3
	other := Take(&data, Limits{Like: live, Reuse: live}) // not released: left alone
	data["a"] = 4
	third := Take(&data, Limits{Reuse: other}) // nor this one
	// Each snapshot kept the value of its own moment.
	for _, c := range []struct {
		a, b     *Snapshot
		old, new string
	}{{live, other, "1", "3"}, {other, third, "3", "4"}} {
		changes, _ := Diff(c.a, c.b, 0)
		require.Len(t, changes, 1)
		assert.Equal(t, `["a"]`, changes[0].Path)
		assert.Equal(t, [2]string{c.old, c.new}, [2]string{changes[0].Old.Text, changes[0].New.Text})
	}
}

// A released snapshot whose memory a later one took over, given again as
// Reuse or as Like, is ignored: the new snapshot is whole.
func TestReleasedTwiceOrAsLike(t *testing.T) {
	data := map[string]int{"a": 1, "b": 2}
	spare := Take(&data, Limits{})
	spare.Release()
	first := Take(&data, Limits{Reuse: spare})
	again := Take(&data, Limits{Reuse: spare, Like: spare})
	for _, s := range []*Snapshot{first, again} {
		require.Empty(t, s.Truncated)
		changes, _ := Diff(Take(&data, Limits{}), s, 0)
		assert.Empty(t, changes)
	}
}
