package snapshot

import (
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type counters struct {
	N     atomic.Int64
	I32   atomic.Int32
	U32   atomic.Uint32
	U64   atomic.Uint64
	UP    atomic.Uintptr
	B     atomic.Bool
	V     atomic.Value
	P     atomic.Pointer[session]
	M     sync.Map
	Plain int64          // changed with atomic.AddInt64
	Small []uint32       // changed with atomic.AddUint32
	Raw   unsafe.Pointer // changed with atomic.StorePointer
}

// Atomics are leaves holding their value, read with their Load; an
// atomic.Value and an atomic.Pointer hold what they refer to, a sync.Map its
// entries.
func TestAtomicsAreValues(t *testing.T) {
	var c counters
	c.Small = make([]uint32, 2)
	s := Take(&c, Limits{})
	require.Empty(t, s.Truncated)
	c.N.Add(1)
	c.I32.Add(-2)
	c.U32.Add(3)
	c.U64.Add(4)
	c.UP.Add(5)
	c.B.Store(true)
	c.V.Store("held")
	c.P.Store(&session{Token: "tok"})
	c.M.Store("user:42", "secret")
	atomic.AddInt64(&c.Plain, 6)
	atomic.AddUint32(&c.Small[1], 7)
	x := 1
	atomic.StorePointer(&c.Raw, unsafe.Pointer(&x))
	after := Take(&c, Limits{})
	require.Empty(t, after.Truncated)
	ch, _ := Diff(s, after, 0)
	assert.Equal(t, []string{`added .M["user:42"]`, "changed .B", "changed .I32", "changed .N", "changed .P",
		"changed .Plain", "changed .Raw", "changed .Small[1]", "changed .U32", "changed .U64", "changed .UP", "changed .V"}, paths(ch))
	texts := map[string]string{}
	for _, c := range ch {
		texts[c.Path] = c.New.Type + " " + c.New.Kind + " " + c.New.Text
	}
	assert.Equal(t, "atomic.Int64 int 1", texts[".N"])
	assert.Equal(t, "atomic.Int32 int -2", texts[".I32"])
	assert.Equal(t, "atomic.Uint64 uint 4", texts[".U64"])
	assert.Equal(t, "atomic.Bool bool true", texts[".B"])
	assert.Equal(t, "atomic.Value string held", texts[".V"])
	assert.Equal(t, "string string secret", texts[`.M["user:42"]`])

	// Unchanged, they are equal; what they refer to is compared.
	ch, _ = Diff(after, Take(&c, Limits{}), 0)
	assert.Empty(t, ch)
	c.P.Load().Token = "other"
	ch, _ = Diff(after, Take(&c, Limits{}), 0)
	assert.Equal(t, []string{"changed .P.Token"}, paths(ch))

	var got []string
	Take(&c, Limits{}).Strings(func(p, v string) bool { got = append(got, p+"="+v); return true })
	assert.Contains(t, got, ".V=held")
	assert.Contains(t, got, ".P.Token=other")
	assert.Contains(t, got, `.M["user:42"]=user:42`)
	assert.Contains(t, got, `.M["user:42"]=secret`)
}

// A copy of an atomic (in an interface) is not addressable: no one can
// change it, and it is read plainly.
func TestAtomicsCopied(t *testing.T) {
	c := new(counters)
	c.N.Store(9)
	c.V.Store(42)
	c.P.Store(&session{User: "u"})
	c.M.Store("k", "v")
	v := reflect.ValueOf(c).Elem().Interface() // a copy, made without go vet's knowledge
	s := Take(v, Limits{})
	require.Empty(t, s.Truncated)
	var got []string
	s.Values(func(p, v string) bool { got = append(got, p+"="+v); return true })
	assert.Equal(t, []string{".P.User=u", ".P.Token="}, got)
	ch, _ := Diff(s, Take(c, Limits{}), 0)
	// The copied sync.Map is opaque; everything else reads the same.
	assert.Equal(t, []string{"changed .M"}, paths(ch))
}

var hits struct {
	N     atomic.Int64
	Plain int64
	Flags [4]uint32
	V     atomic.Value
	P     atomic.Pointer[session]
	M     sync.Map
}

// A correct program that changes atomics while debug mode snapshots them
// must not race (run with -race).
func TestAtomicsDoNotRace(t *testing.T) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				hits.N.Add(1)
				atomic.AddInt64(&hits.Plain, 1)
				atomic.OrUint32(&hits.Flags[g], 1<<(i%32))
				hits.V.Store(i)
				hits.P.Store(&session{Expires: int64(i)})
				hits.M.Store(i%8, i)
			}
		}()
	}
	prev := Take(&hits, Limits{})
	for range 200 {
		s := Take(&hits, Limits{Like: prev})
		require.Empty(t, s.Truncated)
		_, _ = Diff(prev, s, 0)
		prev = s
	}
	close(stop)
	wg.Wait()
}

type node2 struct{ V int }

type shared struct {
	M    map[string]int
	A, B *node2 // the same object twice
}

type inner struct{ A *node2 }

type shared2 struct {
	M map[string]int
	X inner
	B *node2
}

// A shared pointer is a reference to where it was met first; that place
// moves when a value walked before it grows, and that is no change.
func TestSharedPointerAfterGrowth(t *testing.T) {
	n := &node2{1}
	s := shared{M: map[string]int{}, A: n, B: n}
	before := Take(&s, Limits{})
	s.M["x"] = 1
	ch, _ := Diff(before, Take(&s, Limits{}), 0)
	assert.Equal(t, []string{`added .M["x"]`}, paths(ch))

	s2 := shared2{M: map[string]int{}, X: inner{A: n}, B: n}
	before = Take(&s2, Limits{})
	s2.M["x"] = 1
	ch, _ = Diff(before, Take(&s2, Limits{}), 0)
	assert.Equal(t, []string{`added .M["x"]`}, paths(ch))

	// Pointing elsewhere is a change.
	before = Take(&s2, Limits{})
	s2.B = &node2{1}
	ch, _ = Diff(before, Take(&s2, Limits{}), 0)
	assert.Equal(t, []string{"changed .B"}, paths(ch))
}

// Entries of a map that share a pointer are walked in any order: which one
// holds the value and which the reference changes from one snapshot to the
// next, and that is no change; a change of the shared value is one.
func TestSharedPointerInMap(t *testing.T) {
	n := &node2{1}
	m := map[string]*node2{}
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		m[k] = n
	}
	first := Take(&m, Limits{})
	for range 50 {
		ch, _ := Diff(first, Take(&m, Limits{}), 0)
		require.Empty(t, ch)
	}
	n.V = 2
	for range 50 {
		ch, _ := Diff(first, Take(&m, Limits{}), 0)
		require.NotEmpty(t, ch)
		for _, c := range ch {
			assert.Equal(t, Changed, c.Op)
			assert.Regexp(t, `^\["[a-h]"\]\.V$`, c.Path)
		}
	}
}

type twoViews struct {
	Head []string
	Full []string
}

// Two slices of one array are two values.
func TestAliasedSlices(t *testing.T) {
	buf := []string{"a", "b", "c"}
	p := twoViews{Head: buf[:1], Full: buf[:3]}
	before := Take(&p, Limits{})
	buf[2] = "caller-secret"
	ch, _ := Diff(before, Take(&p, Limits{}), 0)
	assert.Equal(t, []string{"changed .Full[2]"}, paths(ch))

	b := make([]string, 0, 8)
	p = twoViews{Head: b[:0], Full: b[:0]}
	before = Take(&p, Limits{})
	p.Full = append(p.Full, "caller-secret")
	ch, _ = Diff(before, Take(&p, Limits{}), 0)
	assert.Equal(t, []string{"added .Full[0]"}, paths(ch))
}

type selfSlice []selfSlice

// A slice can hold itself without a pointer; the walk still ends.
func TestSliceCycle(t *testing.T) {
	s := make(selfSlice, 2)
	s[0] = s
	s[1] = s[:1]
	snap := Take(&s, Limits{})
	assert.Empty(t, snap.Truncated)
	assert.Less(t, snap.Nodes(), 20)
	ch, _ := Diff(snap, Take(&s, Limits{}), 0)
	assert.Empty(t, ch)
}

type hidden struct {
	n atomic.Int64
	v atomic.Value
	p atomic.Pointer[string]
	m sync.Map
}

// Atomics behind unexported fields are read the same way.
func TestAtomicsUnexported(t *testing.T) {
	var h hidden
	s := Take(&h, Limits{})
	require.Empty(t, s.Truncated)
	h.n.Store(1)
	h.v.Store([]string{"x"})
	tok := "tok"
	h.p.Store(&tok)
	h.m.Store(7, "seven")
	after := Take(&h, Limits{})
	require.Empty(t, after.Truncated)
	ch, _ := Diff(s, after, 0)
	assert.Equal(t, []string{"added .m[7]", "changed .n", "changed .p", "changed .v"}, paths(ch))
	var got []string
	after.Values(func(p, v string) bool { got = append(got, p+"="+v); return true })
	assert.ElementsMatch(t, []string{".v[0]=x", ".p=tok", ".m[7]=seven"}, got)
}
