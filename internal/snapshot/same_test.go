package snapshot

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

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
