package snapshot

import (
	"fmt"
	"reflect"
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
