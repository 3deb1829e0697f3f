package snapshot

import (
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type config struct {
	Token   string
	retries int
	Tags    []string
	Nested  *config
	Any     any
	mu      sync.Mutex
	Raw     []byte
}

func paths(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, string(c.Op)+" "+c.Path)
	}
	sort.Strings(out)
	return out
}

func TestDiffNamesPaths(t *testing.T) {
	cache := map[string]int{"user:1": 1}
	cfg := &config{Token: "a", Tags: []string{"x", "y"}, Nested: &config{}}
	list := []int{1, 2, 3}

	sc, scfg, sl := Take(&cache, Limits{}), Take(&cfg, Limits{}), Take(&list, Limits{})
	cache["user:42"] = 42
	cache["user:1"] = 2
	cfg.Token = "b"
	cfg.retries = 3
	cfg.Tags[1] = "z"
	cfg.Nested.Any = "now set"
	cfg.mu.Lock() // sync primitives are not data
	defer cfg.mu.Unlock()
	cfg.Raw = []byte("raw")
	list[2] = 30
	list = append(list, 4)

	c, more := Diff(sc, Take(&cache, Limits{}), 0)
	assert.False(t, more)
	assert.Equal(t, []string{`added ["user:42"]`, `changed ["user:1"]`}, paths(c))

	c, _ = Diff(scfg, Take(&cfg, Limits{}), 0)
	assert.Equal(t, []string{"changed .Nested.Any", "changed .Raw", "changed .Tags[1]", "changed .Token", "changed .retries"}, paths(c))

	c, _ = Diff(sl, Take(&list, Limits{}), 0)
	assert.Equal(t, []string{"added [3]", "changed [2]"}, paths(c))
	for _, ch := range c {
		if ch.Op == Changed {
			assert.Equal(t, "3", ch.Old.Text)
			assert.Equal(t, "30", ch.New.Text)
		}
	}
}

func TestNilVersusEmpty(t *testing.T) {
	var m map[string]string
	s := Take(&m, Limits{})
	m = map[string]string{}
	c, _ := Diff(s, Take(&m, Limits{}), 0)
	require.Len(t, c, 1)
	assert.Equal(t, "nil", c[0].Old.Kind)
	assert.Equal(t, "map", c[0].New.Kind)
}

func TestRemovedAndUnchanged(t *testing.T) {
	m := map[int]string{1: "a", 2: "b"}
	s := Take(&m, Limits{})
	c, _ := Diff(s, Take(&m, Limits{}), 0)
	assert.Empty(t, c, "no change, no finding")
	delete(m, 2)
	c, _ = Diff(s, Take(&m, Limits{}), 0)
	assert.Equal(t, []string{"removed [2]"}, paths(c))
}

type ring struct {
	Name string
	Next *ring
}

func TestCycles(t *testing.T) {
	a := &ring{Name: "a"}
	b := &ring{Name: "b", Next: a}
	a.Next = b
	s := Take(&a, Limits{})
	assert.Empty(t, s.Truncated)
	assert.Less(t, s.Nodes(), 20)
	b.Name = "B"
	c, _ := Diff(s, Take(&a, Limits{}), 0)
	assert.Equal(t, []string{"changed .Next.Name"}, paths(c))

	self := map[string]any{}
	self["me"] = self
	s = Take(&self, Limits{})
	assert.Empty(t, s.Truncated)
}

func TestLimits(t *testing.T) {
	big := make(map[int]int, 1000)
	for i := range 1000 {
		big[i] = i
	}
	s := Take(&big, Limits{MaxNodes: 100})
	assert.Contains(t, s.Truncated, "limit 100")

	deep := &ring{}
	for range 100 {
		deep = &ring{Next: deep}
	}
	s = Take(&deep, Limits{MaxDepth: 10})
	assert.Contains(t, s.Truncated, "depth 10")
}

func TestMaxChanges(t *testing.T) {
	m := map[int]int{}
	s := Take(&m, Limits{})
	for i := range 50 {
		m[i] = i
	}
	c, more := Diff(s, Take(&m, Limits{}), 10)
	assert.Len(t, c, 10)
	assert.True(t, more)
}

func TestStrings(t *testing.T) {
	v := struct {
		A string
		M map[string][]string
		b []byte
	}{A: "alpha", M: map[string][]string{"key": {"x", "beta"}}, b: []byte("gamma")}
	var got []string
	Take(&v, Limits{}).Strings(func(p, s string) bool { got = append(got, p+"="+s); return true })
	sort.Strings(got)
	assert.Equal(t, []string{`.A=alpha`, `.M["key"]=key`, `.M["key"][0]=x`, `.M["key"][1]=beta`, `.b=gamma`}, got)
}

func TestNeverPanics(t *testing.T) {
	ch := make(chan int)
	fn := func() {}
	vals := []any{nil, 1, "s", ch, fn, &ch, []any{nil, &fn}, map[any]any{1.5: "x", [2]int{}: nil, struct{ a int }{}: 1},
		complex(1, 2), [3]byte{1, 2, 3}, new(any), strings.NewReader("x")}
	for _, v := range vals {
		s := Take(v, Limits{})
		c, _ := Diff(s, Take(v, Limits{}), 0)
		assert.Empty(t, c, "%T: a value unchanged diffs to nothing", v)
		assert.Empty(t, s.Truncated, "%T", v)
		s.Strings(func(string, string) bool { return true })
	}
}
