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
