package snapshot

import (
	"fmt"
	"hash/maphash"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// diffHashed is Diff with the hash of map keys chosen by the test.
func diffHashed(a, b *Snapshot, hash func(maphash.Seed, string) uint64) []Change {
	d := &differ{a: a, b: b, hash: hash}
	d.node(0, 0)
	return d.out
}

// The key index of a large map hashes keys; keys whose hashes collide are
// still told apart, and the diff is the same whatever the hash.
func TestDiffKeyCollisions(t *testing.T) {
	hashes := map[string]func(maphash.Seed, string) uint64{
		"maphash": maphash.String,
		"one":     func(maphash.Seed, string) uint64 { return 1 },
		"length":  func(_ maphash.Seed, s string) uint64 { return uint64(len(s)) },
	}
	m := make(map[string]string, 200)
	for i := range 200 {
		m[fmt.Sprint("user:", i)] = "v"
	}
	before := Take(&m, Limits{})
	m["user:7"] = "changed"
	delete(m, "user:8")
	m["user:1000"] = "new"
	after := Take(&m, Limits{})
	want := []string{`added ["user:1000"]`, `changed ["user:7"]`, `removed ["user:8"]`}
	for name, h := range hashes {
		assert.Equal(t, want, paths(diffHashed(before, after, h)), name)
		assert.Empty(t, diffHashed(after, Take(&m, Limits{}), h), name)
	}

	// NaN keys render alike: which entries match depends on the order of
	// the walk, not on the hash.
	f := map[float64]int{math.NaN(): 1, math.NaN(): 2}
	for i := range 100 {
		f[float64(i)] = i
	}
	fa, fb := Take(&f, Limits{}), Take(&f, Limits{})
	ref := paths(diffHashed(fa, fb, maphash.String))
	for name, h := range hashes {
		assert.Equal(t, ref, paths(diffHashed(fa, fb, h)), name)
	}
}

// Entries are matched by key whatever order the two walks met them in,
// small maps (looked up one by one) and large ones (through the index)
// alike.
func TestDiffMapOrders(t *testing.T) {
	for _, n := range []int{3, linearScan, linearScan + 1, 1000, 5000} {
		m := make(map[int]int, n)
		for i := range n {
			m[i] = i
		}
		before := Take(&m, Limits{})
		require.Empty(t, before.Truncated)
		for range 5 {
			c, _ := Diff(before, Take(&m, Limits{}), 0)
			require.Empty(t, c, "n=%d", n)
		}
		m[n/2] = -1
		delete(m, 0)
		m[n+1] = 1
		c, _ := Diff(before, Take(&m, Limits{}), 0)
		assert.Equal(t, []string{fmt.Sprintf("added [%d]", n+1), fmt.Sprintf("changed [%d]", n/2), "removed [0]"}, paths(c), "n=%d", n)
	}
}

// String keys are first looked for near where the other walk met them.
func TestDiffStringKeysNear(t *testing.T) {
	for _, n := range []int{linearScan + 1, 1000, 20000} {
		m := make(map[string]int, n)
		for i := range n {
			m[fmt.Sprint("k", i)] = i
		}
		before := Take(&m, Limits{})
		for range 3 {
			c, _ := Diff(before, Take(&m, Limits{}), 0)
			require.Empty(t, c, "n=%d", n)
		}
		m["k1"] = -1
		delete(m, "k0")
		m["new"] = 1
		// A key of the same bytes elsewhere in memory is the same key.
		delete(m, "k2")
		m[string([]byte("k2"))] = 2
		c, _ := Diff(before, Take(&m, Limits{}), 0)
		assert.Equal(t, []string{`added ["new"]`, `changed ["k1"]`, `removed ["k0"]`}, paths(c), "n=%d", n)
	}
}
