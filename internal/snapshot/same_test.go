package snapshot

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type account struct {
	Name    string
	Balance int64
	Tags    []string
	Limits  map[string]float64
	Owner   *account
	Extra   any
	Seen    atomic.Int64
	mu      sync.Mutex
	Raw     []byte
	Code    [4]byte
	private map[int]string
}

func accounts(n int) map[string]*account {
	m := make(map[string]*account, n)
	for i := range n {
		a := &account{
			Name: fmt.Sprintf("acct-%d", i), Balance: int64(i * 10), Tags: []string{"a", "b"},
			Limits: map[string]float64{"daily": 100}, Extra: i, Raw: []byte("raw"),
			Code: [4]byte{1, 2, 3, 4}, private: map[int]string{1: "one", 2: "two"},
		}
		a.Owner = a // a cycle
		m[a.Name] = a
	}
	return m
}

// An unchanged value is the same, whatever order its maps are walked in.
func TestSameUnchanged(t *testing.T) {
	for _, n := range []int{0, 1, 20, 5000} {
		m := accounts(n)
		s := Take(&m, Limits{})
		require.Empty(t, s.Truncated)
		for range 5 { // each walk of a Go map starts somewhere else
			assert.True(t, s.Same(&m), "n=%d", n)
		}
	}
	var nothing any
	assert.True(t, Take(nothing, Limits{}).Same(nothing))
	var p *account
	assert.True(t, Take(&p, Limits{}).Same(&p))
}

// Every change a diff would report makes Same false; when Same says true, a
// diff finds nothing.
func TestSameSeesEveryChange(t *testing.T) {
	changes := map[string]func(m map[string]*account){
		"string field":       func(m map[string]*account) { m["acct-3"].Name = "other" },
		"int field":          func(m map[string]*account) { m["acct-3"].Balance++ },
		"slice element":      func(m map[string]*account) { m["acct-3"].Tags[1] = "c" },
		"slice shortened":    func(m map[string]*account) { m["acct-3"].Tags = m["acct-3"].Tags[:1] },
		"nested map value":   func(m map[string]*account) { m["acct-3"].Limits["daily"] = 50 },
		"nested map entry":   func(m map[string]*account) { m["acct-3"].Limits["weekly"] = 1 },
		"unexported map":     func(m map[string]*account) { m["acct-3"].private[2] = "deux" },
		"pointer retargeted": func(m map[string]*account) { m["acct-3"].Owner = m["acct-4"] },
		"pointer nil":        func(m map[string]*account) { m["acct-3"].Owner = nil },
		"interface value":    func(m map[string]*account) { m["acct-3"].Extra = 99 },
		"interface type":     func(m map[string]*account) { m["acct-3"].Extra = "3" },
		"interface nil":      func(m map[string]*account) { m["acct-3"].Extra = nil },
		"atomic":             func(m map[string]*account) { m["acct-3"].Seen.Add(1) },
		"bytes":              func(m map[string]*account) { m["acct-3"].Raw[0] = 'R' },
		"byte array":         func(m map[string]*account) { m["acct-3"].Code[0] = 9 },
		"entry added":        func(m map[string]*account) { m["new"] = &account{} },
		"entry removed":      func(m map[string]*account) { delete(m, "acct-3") },
		"key replaced":       func(m map[string]*account) { m["other"] = m["acct-3"]; delete(m, "acct-3") },
		"value swapped":      func(m map[string]*account) { m["acct-3"], m["acct-4"] = m["acct-4"], m["acct-3"] },
		"equal copy elsewhere": func(m map[string]*account) {
			a := m["acct-3"]
			m["acct-3"] = &account{Name: a.Name, Balance: a.Balance, Tags: a.Tags, Limits: a.Limits, Owner: a.Owner,
				Extra: a.Extra, Raw: a.Raw, Code: a.Code, private: a.private}
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			m := accounts(100)
			before := Take(&m, Limits{})
			change(m)
			diff, _ := Diff(before, Take(&m, Limits{}), 0)
			if before.Same(&m) {
				assert.Empty(t, diff, "Same said true, the diff disagrees")
			}
			if name != "equal copy elsewhere" {
				assert.False(t, before.Same(&m))
				assert.NotEmpty(t, diff)
			}
		})
	}
}

// Same answers false when it cannot tell: an incomplete or released
// snapshot, a sync.Map.
func TestSameDoesNotGuess(t *testing.T) {
	m := accounts(50)
	short := Take(&m, Limits{MaxNodes: 10})
	require.NotEmpty(t, short.Truncated)
	assert.False(t, short.Same(&m))

	s := Take(&m, Limits{})
	s.Release()
	assert.False(t, s.Same(&m))

	var sm sync.Map
	sm.Store("k", "v")
	assert.False(t, Take(&sm, Limits{}).Same(&sm))

	var nilSnap *Snapshot
	assert.False(t, nilSnap.Same(&m))
}

// A map whose keys render to numbers is matched by them too.
func TestSameIntKeys(t *testing.T) {
	m := make(map[int]string, 3000)
	for i := range 3000 {
		m[i*7] = fmt.Sprint(i)
	}
	s := Take(&m, Limits{})
	assert.True(t, s.Same(&m))
	m[7] = "changed"
	assert.False(t, s.Same(&m))
}

// A map whose order changed altogether (cleared and filled again with the
// same keys: same address, another hash seed) is matched through the key
// index once looking near the guess has cost a few looks an entry, not
// looked through entry by entry.
func TestSameReorderedMapStaysLinear(t *testing.T) {
	const n = 2000
	keys := make([]string, n)
	m := make(map[string]int, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%05d", i)
		m[keys[i]] = i
	}
	s := Take(&m, Limits{})
	clear(m)
	for i, k := range keys {
		m[k] = i
	}
	c := comparer{s: s, sp: make([]int8, len(s.types))}
	require.True(t, c.same(0, reflect.ValueOf(m), true))
	assert.LessOrEqual(t, c.looks, 9*n+8*nearBy+2, "looks for %d entries", n)
}

// An array of bytes reached through an unexported field (a uuid.UUID in a
// struct) is read, addressable or not, instead of failing the snapshot.
func TestUnexportedByteArray(t *testing.T) {
	type record struct {
		id  [4]byte
		Pub int
	}
	byPtr := map[string]*record{"a": {id: [4]byte{1, 2, 3, 4}}} // addressable
	byVal := map[string]record{"a": {id: [4]byte{1, 2, 3, 4}}}  // not
	for name, v := range map[string]any{"pointer": &byPtr, "value": &byVal} {
		s := Take(v, Limits{})
		require.Empty(t, s.Truncated, name)
		assert.True(t, s.Same(v), name)
	}
	sp, sv := Take(&byPtr, Limits{}), Take(&byVal, Limits{})
	byPtr["a"].id[0] = 9
	byVal["a"] = record{id: [4]byte{9, 2, 3, 4}}
	for name, c := range map[string]struct {
		s *Snapshot
		v any
	}{"pointer": {sp, &byPtr}, "value": {sv, &byVal}} {
		assert.False(t, c.s.Same(c.v), name)
		changes, _ := Diff(c.s, Take(c.v, Limits{}), 0)
		require.Len(t, changes, 1, name)
		assert.Equal(t, `["a"].id`, changes[0].Path, name)
	}
}

// An unsafe.Pointer that the program stores atomically is read atomically,
// by Take and by Same: no race with a correct program (go test -race).
func TestUnsafePointerStoredAtomically(t *testing.T) {
	type holder struct{ P unsafe.Pointer }
	x, y := 1, 2
	h := &holder{P: unsafe.Pointer(&x)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 2000 {
			p := unsafe.Pointer(&x)
			if i%2 == 1 {
				p = unsafe.Pointer(&y)
			}
			atomic.StorePointer(&h.P, p)
		}
	}()
	for range 200 {
		s := Take(&h, Limits{})
		require.Empty(t, s.Truncated)
		s.Same(&h)
	}
	<-done
}

// changeSet is a diff's changes, in an order of their own. A value met
// twice is rendered as a reference where the walk met it the second time,
// which depends on the order maps were walked in: references and the
// containers they may stand for are one kind here.
func changeSet(c []Change) []string {
	render := func(v Value) string {
		switch v.Kind {
		case "ref", "struct", "ptr", "map", "slice", "array", "iface":
			return "value"
		}
		return v.Kind + ":" + v.Text
	}
	out := make([]string, len(c))
	for i, x := range c {
		out[i] = fmt.Sprintf("%s %s %s -> %s", x.Op, x.Path, render(x.Old), render(x.New))
	}
	sort.Strings(out)
	return out
}

// newStrings are the strings of after that before has not got: what the
// guard's taint check reads. (Their paths are where the walk met them
// first, which depends on the order maps were walked in.)
func newStrings(before, after *Snapshot) []string {
	old := map[string]bool{}
	before.Strings(func(_, s string) bool { old[s] = true; return true })
	found := map[string]bool{}
	after.Strings(func(_, s string) bool {
		if !old[s] {
			found[s] = true
		}
		return true
	})
	return slices.Sorted(maps.Keys(found))
}

// A snapshot taken with Base, which keeps only the root map's entries that
// changed, diffs against its base exactly as a whole one does, and has the
// same new strings.
func TestBaseDiffsAsAWholeSnapshot(t *testing.T) {
	changes := map[string]func(m map[string]*account){
		"none":          func(map[string]*account) {},
		"string field":  func(m map[string]*account) { m["acct-3"].Name = "other" },
		"nested map":    func(m map[string]*account) { m["acct-3"].Limits["weekly"] = 1 },
		"retargeted":    func(m map[string]*account) { m["acct-3"].Owner = m["acct-4"] },
		"added":         func(m map[string]*account) { m["new"] = &account{Name: "fresh-secret"} },
		"removed":       func(m map[string]*account) { delete(m, "acct-3") },
		"key replaced":  func(m map[string]*account) { m["other"] = m["acct-3"]; delete(m, "acct-3") },
		"swapped":       func(m map[string]*account) { m["acct-3"], m["acct-4"] = m["acct-4"], m["acct-3"] },
		"copy":          func(m map[string]*account) { a := m["acct-5"]; m["acct-5"] = &account{Name: a.Name, Owner: a} },
		"two entries":   func(m map[string]*account) { m["acct-1"].Balance = -1; m["acct-90"].Tags[0] = "z" },
		"shared moved":  func(m map[string]*account) { m["acct-7"].Owner = m["acct-8"]; m["acct-8"].Name = "x" },
		"interface":     func(m map[string]*account) { m["acct-9"].Extra = "request-secret" },
		"bytes changed": func(m map[string]*account) { m["acct-2"].Raw[1] = 'X' },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			m := accounts(150) // past the read-ahead threshold
			before := Take(&m, Limits{})
			change(m)
			whole := Take(&m, Limits{Like: before})
			based := Take(&m, Limits{Like: before, Base: before})
			require.Empty(t, based.Truncated)
			if name == "none" {
				assert.Less(t, based.Nodes(), 200, "unchanged entries are not copied")
			}
			cw, mw := Diff(before, whole, 0)
			cb, mb := Diff(before, based, 0)
			assert.Equal(t, changeSet(cw), changeSet(cb))
			assert.Equal(t, mw, mb)
			assert.Equal(t, newStrings(before, whole), newStrings(before, based))
		})
	}
	// Another map, or no map at the root: Base is not used.
	m, other := accounts(10), accounts(10)
	s := Take(&m, Limits{Base: Take(&other, Limits{})})
	c, _ := Diff(Take(&m, Limits{}), s, 0)
	assert.Empty(t, c)
	assert.Greater(t, s.Nodes(), 20)
}

// A value that two entries of the root map share is recorded in full under
// the entry walked first and as a reference under the other. When that
// first entry is removed or retargeted and the shared value changed, the
// other entry must not pass for unchanged on its address alone: the base
// walk takes a reference as the same only when it refers inside its own
// entry. Maps are walked in a random order: each case runs a few times.
func TestBaseSharedAcrossEntries(t *testing.T) {
	type item struct{ X int }
	for _, k := range slices.Repeat([]string{"a", "b"}, 8) { // whichever was walked first
		t.Run("pointer removed "+k, func(t *testing.T) {
			p := &item{X: 1}
			m := map[string]*item{"a": p, "b": p}
			before := Take(&m, Limits{})
			delete(m, k)
			p.X = 2
			assertBaseDiffsAsWhole(t, before, &m)
		})
		t.Run("pointer retargeted "+k, func(t *testing.T) {
			p := &item{X: 1}
			m := map[string]*item{"a": p, "b": p}
			before := Take(&m, Limits{})
			m[k] = &item{X: 1}
			p.X = 2
			assertBaseDiffsAsWhole(t, before, &m)
		})
		t.Run("slice retargeted "+k, func(t *testing.T) {
			sh := []int{1, 2, 3}
			m := map[string][]int{"a": sh, "b": sh}
			before := Take(&m, Limits{})
			m[k] = []int{1, 2, 3}
			sh[1] = 20
			assertBaseDiffsAsWhole(t, before, &m)
		})
		t.Run("map retargeted "+k, func(t *testing.T) {
			sh := map[string]int{"x": 1}
			m := map[string]map[string]int{"a": sh, "b": sh}
			before := Take(&m, Limits{})
			m[k] = map[string]int{"x": 1}
			sh["x"] = 2
			assertBaseDiffsAsWhole(t, before, &m)
		})
	}
}

// assertBaseDiffsAsWhole checks that a snapshot of v taken with before as
// its base diffs against before exactly as a whole snapshot does, and that
// the diff sees a change.
func assertBaseDiffsAsWhole(t *testing.T, before *Snapshot, v any) {
	t.Helper()
	whole := Take(v, Limits{Like: before})
	based := Take(v, Limits{Like: before, Base: before})
	cw, _ := Diff(before, whole, 0)
	cb, _ := Diff(before, based, 0)
	require.NotEmpty(t, cw)
	assert.Equal(t, changeSet(cw), changeSet(cb))
}

// Past max changes, a diff with a Base-snapshot says more were left out
// when any entry comes after the last change reported, whether or not it
// is the base's, as with a whole snapshot.
func TestBaseDiffPastMax(t *testing.T) {
	for _, change := range []string{"k3", "k40", "k149"} {
		m := make(map[string]string)
		for i := range 150 {
			m[fmt.Sprintf("k%d", i)] = "v"
		}
		before := Take(&m, Limits{})
		m[change] = "changed"
		based := Take(&m, Limits{Like: before, Base: before})
		root := &based.nodes[0]
		at := -1
		for e := range root.n {
			if based.key(&based.nodes[root.first+e]) == change {
				at = int(e)
			}
		}
		require.GreaterOrEqual(t, at, 0)
		c, more := Diff(before, based, 1)
		assert.Equal(t, []string{`changed ["` + change + `"]`}, paths(c))
		assert.Equal(t, at < 149, more, "%s, entry %d", change, at)
	}
}

// A map of many tables, walked from elsewhere each time: its entries are
// matched with the base's wherever they are, and only its changes differ.
func TestBaseLargeMap(t *testing.T) {
	m := accounts(20_000)
	before := Take(&m, Limits{})
	for range 3 {
		assert.True(t, before.Same(&m))
	}
	m["acct-5"].Balance = -5
	m["acct-19999"].Name = "renamed"
	delete(m, "acct-100")
	m["acct-new"] = &account{Name: "new"}
	assert.False(t, before.Same(&m))
	whole := Take(&m, Limits{Like: before})
	for range 3 {
		based := Take(&m, Limits{Like: before, Base: before})
		require.Empty(t, based.Truncated)
		cw, _ := Diff(before, whole, 0)
		cb, _ := Diff(before, based, 0)
		assert.Equal(t, changeSet(cw), changeSet(cb))
		assert.Len(t, cb, 4)
	}
}
