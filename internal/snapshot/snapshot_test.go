package snapshot

import (
	"context"
	"math"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// changes renders Diff(before, after) as "op path" lines.
func changes(t *testing.T, before, after *Snapshot) []string {
	t.Helper()
	c, more := Diff(before, after, 0)
	require.False(t, more)
	var out []string
	for _, ch := range c {
		out = append(out, string(ch.Op)+" "+ch.Path.String())
	}
	return out
}

func all(s *Snapshot) (ns []*node) {
	s.each(root(s), -1, func(n, _ *node) { ns = append(ns, n) })
	return ns
}

// valueAt returns the value a snapshot holds at a path rendered by String.
func valueAt(s *Snapshot, path string) (Value, bool) {
	for _, n := range all(s) {
		if pathOf(s.str(n.key)).String() == path {
			return s.value(n), true
		}
	}
	return Value{}, false
}

type inner struct {
	n    int
	tags []string
}

type outer struct {
	name  string
	in    inner
	byKey map[string]*inner
	list  []map[string]int
	V     any
	P     *int
	F     float64
	B     []byte
	arr   [2]int16
}

func newOuter() *outer {
	return &outer{
		name:  "a",
		in:    inner{n: 1, tags: []string{"x"}},
		byKey: map[string]*inner{"k1": {n: 1}, "k2": {n: 2, tags: []string{"t"}}},
		list:  []map[string]int{{"a": 1}, {"b": 2}},
		V:     map[string]any{"x": []any{1.0, "y"}},
		F:     math.NaN(),
		B:     []byte("secret"),
	}
}

func TestDiff(t *testing.T) {
	seven := 7
	for _, tc := range []struct {
		name   string
		change func(o *outer)
		want   []string
	}{
		{"nothing", func(*outer) {}, nil},
		{"unexported field", func(o *outer) { o.name = "b" }, []string{"changed .name"}},
		{"nested unexported", func(o *outer) { o.in.tags[0] = "z" }, []string{"changed .in.tags[0]"}},
		{"slice grows", func(o *outer) { o.in.tags = append(o.in.tags, "y", "z") }, []string{"added .in.tags[1]", "added .in.tags[2]"}},
		{"slice shrinks", func(o *outer) { o.in.tags = o.in.tags[:0] }, []string{"removed .in.tags[0]"}},
		{"slice to nil", func(o *outer) { o.in.tags = nil }, []string{"changed .in.tags"}},
		{"entry added once", func(o *outer) { o.byKey["k3"] = &inner{n: 3, tags: []string{"a", "b"}} }, []string{`added .byKey["k3"]`}},
		{"entry removed once", func(o *outer) { delete(o.byKey, "k2") }, []string{`removed .byKey["k2"]`}},
		{"entry changed", func(o *outer) { o.byKey["k2"].n = 5 }, []string{`changed .byKey["k2"].n`}},
		{"entry replaced alike", func(o *outer) { o.byKey["k2"] = &inner{n: 2, tags: []string{"t"}} }, nil},
		{"map in slice", func(o *outer) { o.list[1]["c"] = 3; delete(o.list[0], "a") }, []string{`removed .list[0]["a"]`, `added .list[1]["c"]`}},
		{"interface retyped", func(o *outer) { o.V = "now a string" }, []string{"changed .V"}},
		{"interface deep", func(o *outer) { o.V.(map[string]any)["x"].([]any)[1] = "z" }, []string{`changed .V["x"][1]`}},
		{"pointer set", func(o *outer) { o.P = &seven }, []string{"changed .P"}},
		{"NaN stays NaN", func(o *outer) { o.F = math.Float64frombits(math.Float64bits(math.NaN()) + 1) }, nil},
		{"float", func(o *outer) { o.F = 1.5 }, []string{"changed .F"}},
		{"bytes", func(o *outer) { o.B[0] = 'S' }, []string{"changed .B"}},
		{"array", func(o *outer) { o.arr[1] = 3 }, []string{"changed .arr[1]"}},
		{"parts swap places", func(o *outer) { o.V = map[string]any{"x": []any{"y", 1.0}} }, []string{`changed .V["x"][0]`, `changed .V["x"][1]`}},
		{"several, in path order", func(o *outer) { o.name = "c"; o.in.n = 9; o.byKey["k1"].n = 0 },
			[]string{`changed .byKey["k1"].n`, "changed .in.n", "changed .name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOuter()
			before := Take(&o, Options{})
			require.Empty(t, before.Truncated)
			tc.change(o)
			after := Take(&o, Options{})
			assert.Equal(t, tc.want, changes(t, before, after))
		})
	}
}

func TestChangeValues(t *testing.T) {
	m := map[string]string{"a": "1"}
	before := Take(&m, Options{})
	m["a"], m["b"] = "22", "3"
	c, _ := Diff(before, Take(&m, Options{}), 0)
	require.Len(t, c, 2)
	assert.Equal(t, Change{Op: Changed, Path: Path{{Kind: Key, Text: "a", StringKey: true}},
		Old: Value{Valid: true, Kind: "string", Type: "string", Text: "1", Length: 1},
		New: Value{Valid: true, Kind: "string", Type: "string", Text: "22", Length: 2}}, c[0])
	assert.Equal(t, Added, c[1].Op)
	assert.False(t, c[1].Old.Valid)
	assert.Equal(t, "3", c[1].New.Text)

	// At most max, and more says there were more.
	delete(m, "a")
	m["c"] = "4"
	c, more := Diff(before, Take(&m, Options{}), 1)
	assert.True(t, more)
	assert.Equal(t, `["a"]`, c[0].Path.String())
}

type ring struct {
	name string
	next *ring
}

func TestCycles(t *testing.T) {
	a := &ring{name: "a"}
	a.next = &ring{name: "b", next: a}
	self := map[string]any{}
	self["me"] = self
	list := []any{nil, 1}
	list[0] = list
	for _, tc := range []struct {
		name    string
		ptr     any
		refPath string // where the ref is
		refText string // the ancestor it names
	}{
		{"pointer ring", &a, ".next.next", ""},
		{"map holds itself", &self, `["me"]`, ""},
		{"slice holds itself", &list, "[0]", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Take(tc.ptr, Options{})
			require.Empty(t, s.Truncated)
			v, ok := valueAt(s, tc.refPath)
			require.True(t, ok)
			assert.Equal(t, "ref", v.Kind)
			assert.Equal(t, tc.refText, v.Text)
			assert.Empty(t, changes(t, s, Take(tc.ptr, Options{})))
		})
	}
	a.next.next = &ring{name: "c"}
	s := Take(&a, Options{})
	v, _ := valueAt(s, ".next.next.name")
	assert.Equal(t, "c", v.Text)
}

// Entries that share pointers are walked at each place: their paths do not
// depend on which entry the walk met first, in random map order.
func TestSharedPointersAreStable(t *testing.T) {
	type leaf struct{ V []int }
	shared := make([]*leaf, 10)
	for i := range shared {
		shared[i] = &leaf{V: []int{i}}
	}
	m := map[int]*leaf{}
	for i := range 1000 {
		m[i] = shared[i%10]
	}
	first := Take(&m, Options{})
	require.Empty(t, first.Truncated)
	assert.Equal(t, 1+1000*3, first.Nodes())
	for range 50 {
		assert.Empty(t, changes(t, first, Take(&m, Options{})))
	}
	shared[3].V[0] = 33
	assert.Len(t, changes(t, first, Take(&m, Options{})), 100)
}

func TestNaNKeys(t *testing.T) {
	m := map[float64][]int{1.5: {0}}
	for i := range 5 {
		m[math.NaN()] = []int{i % 2}
	}
	first := Take(&m, Options{})
	var keys []string
	for _, n := range all(first) {
		if len(pathOf(first.str(n.key))) == 1 {
			keys = append(keys, pathOf(first.str(n.key)).String())
		}
	}
	assert.ElementsMatch(t, []string{"[1.5]", "[NaN#0]", "[NaN#1]", "[NaN#2]", "[NaN#3]", "[NaN#4]"}, keys)
	for range 20 {
		assert.Empty(t, changes(t, first, Take(&m, Options{})))
	}
}

// Entries of keys that render alike are walked twice (once for their
// digest); a ref from there to an ancestor outside the entry still names it.
func TestCollidingEntriesReferBack(t *testing.T) {
	type back struct {
		Up *map[float64]*back
		N  int
	}
	m := map[float64]*back{}
	m[math.NaN()] = &back{Up: &m, N: 1}
	m[math.NaN()] = &back{Up: &m, N: 2}
	s := Take(&m, Options{})
	require.Empty(t, s.Truncated)
	for _, p := range []string{"[NaN#0].Up", "[NaN#1].Up"} {
		v, _ := valueAt(s, p)
		assert.Equal(t, Value{Valid: true, Kind: "ref", Type: "*map[float64]*snapshot.back"}, v)
	}
	assert.Empty(t, changes(t, s, Take(&m, Options{})))
}

func TestInterfaceKeys(t *testing.T) {
	m := map[any]int{1: 1, int8(1): 2, uint(1): 3, "1": 4, true: 5, 1.5: 6, nil: 7, [2]int{1, 2}: 8, struct{ A any }{int16(2)}: 9}
	first := Take(&m, Options{})
	var keys []string
	for _, n := range all(first) {
		if len(pathOf(first.str(n.key))) == 1 {
			keys = append(keys, pathOf(first.str(n.key)).String())
		}
	}
	assert.ElementsMatch(t, []string{"[1]", "[int8(1)]", "[uint(1)]", `["1"]`, "[true]", "[float64(1.5)]", "[nil]",
		"[[2]int{1,2}]", "[struct { A interface {} }{A:int16(2)}]"}, keys)
	for range 20 {
		assert.Empty(t, changes(t, first, Take(&m, Options{})))
	}
	m[int8(1)] = 20
	assert.Equal(t, []string{"changed [int8(1)]"}, changes(t, first, Take(&m, Options{})))
}

func TestStructKeyHoldsItsToken(t *testing.T) {
	type client struct {
		IP    [4]byte
		Token string
	}
	m := map[client]int{{IP: [4]byte{1, 2, 3, 4}, Token: "tok-123"}: 1}
	c, _ := Diff(Take(&map[client]int{}, Options{}), Take(&m, Options{}), 0)
	require.Len(t, c, 1)
	seg := c[0].Path[0]
	assert.Equal(t, Seg{Kind: Key, Text: `{IP:[4]uint8{1,2,3,4},Token:"tok-123"}`}, seg)
	// The whole key can be redacted, token and all.
	assert.Equal(t, "[redacted]", c[0].Path.Format(func(Seg) string { return "redacted" }))
}

func TestPathRendering(t *testing.T) {
	p := Path{{Kind: Field, Text: "Cfg"}, {Kind: Key, Text: "user:42", StringKey: true}, {Kind: Index, Text: "3"},
		{Kind: Key, Text: "int8(1)"}, {Kind: Field, Text: "Token"}, {Kind: Key, Text: "a\"b\n", StringKey: true}}
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"root", Path(nil).String(), ""},
		{"String", p.String(), `.Cfg["user:42"][3][int8(1)].Token["a\"b\n"]`},
		{"Format", p.Format(func(s Seg) string { return "<" + s.Text + ">" }), `.Cfg[<user:42>][3][<int8(1)>].Token[<a"b` + "\n>]"},
		{"hidden", hidden(p), ".Cfg[?][3][?].Token[?]"},
	} {
		assert.Equal(t, tc.want, tc.got, tc.name)
	}
	childKey := func(parent string, s Seg) string { return string(appendStep([]byte(parent), s)) }
	// Canonical keys keep apart what renders alike, and sort indices as
	// numbers and parents before their children.
	assert.NotEqual(t, childKey("", Seg{Kind: Key, Text: "1", StringKey: true}), childKey("", Seg{Kind: Key, Text: "1"}))
	assert.NotEqual(t, childKey(childKey("", Seg{Kind: Field, Text: "a"}), Seg{Kind: Field, Text: "b"}),
		childKey("", Seg{Kind: Field, Text: "a\x00\x00Fb"}))
	assert.Less(t, childKey("", Seg{Kind: Index, Text: "9"}), childKey("", Seg{Kind: Index, Text: "10"}))
	assert.Less(t, childKey("", Seg{Kind: Key, Text: "a", StringKey: true}), childKey("", Seg{Kind: Key, Text: "a\x00", StringKey: true}))
}

// Keys holding NULs (the escape of canonical paths) come back as they were.
func TestKeysWithNUL(t *testing.T) {
	m := map[string]int{"a": 1, "a\x00": 2, "a\x00b": 3, "\x00\x00": 4}
	before := Take(&m, Options{})
	for k := range m {
		m[k]++
	}
	c, _ := Diff(before, Take(&m, Options{}), 0)
	var keys []string
	for _, ch := range c {
		require.Len(t, ch.Path, 1)
		keys = append(keys, ch.Path[0].Text)
	}
	assert.Equal(t, []string{"\x00\x00", "a", "a\x00", "a\x00b"}, keys)
	var got []string
	before.Strings(func(p Path, s string) bool {
		got = append(got, p.String()+"="+s)
		return true
	})
	assert.Equal(t, []string{`["\x00\x00"]=` + "\x00\x00", `["a"]=a`, `["a\x00"]=a` + "\x00", `["a\x00b"]=a` + "\x00b"}, got)
}

func TestTimeLocation(t *testing.T) {
	type stamped struct {
		at  time.Time
		At  time.Time
		Any any
		By  map[string]time.Time
	}
	now := time.Now()
	v := stamped{at: now.Local(), At: now, Any: now.Local(), By: map[string]time.Time{"k": now.Local()}}
	before := Take(&v, Options{})
	at, _ := valueAt(before, ".at")
	assert.Equal(t, "time", at.Kind)
	assert.True(t, strings.HasSuffix(at.Text, " Local"), at.Text)
	_ = v.at.String() + v.Any.(time.Time).String() + v.By["k"].String() // loads the location
	v.At = v.At.Round(0)                                                // drops the monotonic reading
	assert.Empty(t, changes(t, before, Take(&v, Options{})))
	v.at = v.at.Add(time.Nanosecond)
	assert.Equal(t, []string{"changed .at"}, changes(t, before, Take(&v, Options{})))
}

func TestAtomicsDoNotRace(t *testing.T) {
	type counters struct {
		N     atomic.Int64
		plain int64 // updated with atomic.AddInt64
		U     atomic.Uint32
		B     atomic.Bool
		V     atomic.Value
		P     atomic.Pointer[string]
		ptr   unsafe.Pointer // updated with atomic.StorePointer
	}
	var c counters
	s := "x"
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			c.N.Add(1)
			atomic.AddInt64(&c.plain, 1)
			c.U.Add(1)
			c.B.Store(i%2 == 0)
			c.V.Store(i)
			c.P.Store(&s)
			atomic.StorePointer(&c.ptr, unsafe.Pointer(&s))
			select {
			case <-done:
				return
			default:
			}
		}
	})
	for range 200 {
		snap := Take(&c, Options{})
		require.Empty(t, snap.Truncated)
	}
	close(done)
	wg.Wait()
	snap := Take(&c, Options{})
	n, _ := valueAt(snap, ".N")
	assert.Equal(t, Value{Valid: true, Kind: "int", Type: "int64", Text: n.Text}, n)
	p, _ := valueAt(snap, ".P")
	assert.Equal(t, "x", p.Text)
}

type locked struct {
	mu   sync.Mutex
	data map[string]string
}

type rwLocked struct {
	mu   sync.RWMutex
	data []int
}

func TestLockedStructs(t *testing.T) {
	l := &locked{data: map[string]string{"a": "1"}}
	byKey := map[string]*locked{"secret-key": l}
	before := Take(&byKey, Options{})
	require.Empty(t, before.Skipped)

	// Another goroutine holds the lock, and writes meanwhile.
	holding, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		l.mu.Lock()
		close(holding)
		<-release
		l.data["a"] = "changed under the lock"
		l.mu.Unlock()
	}()
	<-holding
	held := Take(&byKey, Options{})
	close(release)
	<-done
	assert.Equal(t, []string{"[?]"}, held.Skipped)
	v, _ := valueAt(held, `["secret-key"]`)
	assert.Equal(t, "skipped", v.Kind)
	// Its lock being held says nothing of what it holds: no change either way.
	assert.Empty(t, changes(t, before, held))
	assert.Empty(t, changes(t, held, before))
	l.data["a"] = "1"

	// Its own lock, held by the caller, is not tried again.
	l.mu.Lock()
	l.data["b"] = "2"
	withHeld := Take(&byKey, Options{Held: []sync.Locker{&l.mu}})
	assert.Empty(t, withHeld.Skipped)
	assert.Equal(t, []string{`added ["secret-key"].data["b"]`}, changes(t, before, withHeld))
	l.mu.Unlock()
	assert.Equal(t, []string{`added ["secret-key"].data["b"]`}, changes(t, before, Take(&byKey, Options{})))

	rw := &rwLocked{data: []int{1}}
	rw.mu.RLock() // readers do not keep the walk out
	assert.Empty(t, Take(&rw, Options{}).Skipped)
	rw.mu.RUnlock()
	rw.mu.Lock()
	assert.Len(t, Take(&rw, Options{}).Skipped, 1)
	assert.Empty(t, Take(&rw, Options{Held: []sync.Locker{rw.mu.RLocker()}}).Skipped)
	rw.mu.Unlock()
	// The walk leaves the locks as it found them.
	require.True(t, l.mu.TryLock())
	l.mu.Unlock()
	require.True(t, rw.mu.TryLock())
	rw.mu.Unlock()

	// A map's values are copies: read as they are, never locked, even
	// when the lock was held as they were copied.
	byValue := map[string]locked{"k": {data: map[string]string{"a": "1"}}}
	s0 := Take(&byValue, Options{})
	assert.Empty(t, s0.Skipped)
	v, _ = valueAt(s0, `["k"].data["a"]`)
	assert.Equal(t, "1", v.Text)

	// A struct reached again, by a pointer of its own type, while the walk
	// holds its lock (it got there as the first field of another) is read.
	type wrap struct{ In twice }
	wr := &wrap{In: twice{n: 1}}
	wr.In.self = &wr.In
	s := Take(&wr, Options{})
	assert.Empty(t, s.Skipped)
	v, _ = valueAt(s, ".In.self.n")
	assert.Equal(t, "1", v.Text)
	v, _ = valueAt(s, ".In.self.self")
	assert.Equal(t, Value{Valid: true, Kind: "ref", Type: "*snapshot.twice", Text: ".In.self"}, v)
	require.True(t, wr.In.mu.TryLock())
}

type twice struct {
	mu   sync.Mutex
	n    int
	self *twice
}

func TestLockedStructWrittenMeanwhile(t *testing.T) {
	l := &locked{data: map[string]string{}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			l.mu.Lock()
			l.data[string(rune('a'+i%26))] = "v"
			if i%7 == 0 {
				clear(l.data)
			}
			l.mu.Unlock()
		}
	})
	for range 500 {
		require.Empty(t, Take(&l, Options{}).Truncated)
	}
	close(done)
	wg.Wait()
}

func TestContextsAreOpaque(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type watched struct {
		Ctx  context.Context
		Done <-chan struct{}
	}
	w := &watched{Ctx: ctx, Done: ctx.Done()}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, c := context.WithCancel(ctx)
			c()
		}
	})
	first := Take(&w, Options{})
	for range 1000 {
		require.Empty(t, changes(t, first, Take(&w, Options{})))
	}
	close(stop)
	wg.Wait()
	v, _ := valueAt(first, ".Ctx")
	assert.Equal(t, "opaque", v.Kind)
	assert.NotEmpty(t, v.Text)
}

func TestOpaque(t *testing.T) {
	type holder struct {
		File  *os.File
		Ch    chan int
		Fn    func()
		WG    sync.WaitGroup
		Sync  sync.Map
		Loc   *time.Location
		Mode  os.FileMode // plain data of an opaque package
		Dur   time.Duration
		Nil   *os.File
		Unsaf unsafe.Pointer
	}
	h := holder{File: os.Stdout, Ch: make(chan int), Fn: func() {}, Loc: time.UTC, Mode: 0o644, Dur: time.Second}
	s := Take(&h, Options{})
	for path, want := range map[string]string{".File": "opaque", ".Ch": "opaque", ".Fn": "opaque", ".WG": "opaque",
		".Sync": "opaque", ".Loc": "opaque", ".Mode": "uint", ".Dur": "int", ".Nil": "nil", ".Unsaf": "nil"} {
		v, ok := valueAt(s, path)
		require.True(t, ok, path)
		assert.Equal(t, want, v.Kind, path)
	}
	v, _ := valueAt(s, ".WG")
	assert.Empty(t, v.Text) // held by value: nothing to compare
	h.Ch = make(chan int)
	assert.Equal(t, []string{"changed .Ch"}, changes(t, s, Take(&h, Options{})))
}

func TestTruncation(t *testing.T) {
	type deep struct {
		Next *deep
		N    int
	}
	var d *deep
	for i := range 40 {
		d = &deep{Next: d, N: i}
	}
	s := Take(&d, Options{MaxDepth: 10})
	assert.Equal(t, "depth limit 10 reached at .Next.Next.Next.Next.Next.Next.Next.Next.Next.Next.Next", s.Truncated)

	m := map[string]int{}
	for i := range 100 {
		m[strings.Repeat("k", i)] = i
	}
	s = Take(&m, Options{MaxNodes: 10})
	assert.Equal(t, "node limit 10 reached at [?]", s.Truncated)
	assert.Equal(t, 10, s.Nodes())

	// Against a truncated snapshot, only what both hold is compared.
	whole := Take(&m, Options{})
	for k := range m {
		m[k]++
	}
	m["new"] = 1
	c, _ := Diff(s, whole, 0)
	assert.Empty(t, c)
	c, _ = Diff(s, Take(&m, Options{}), 0)
	assert.NotEmpty(t, c)
	for _, ch := range c {
		assert.Equal(t, Changed, ch.Op, ch.Path.String())
	}

	// An endless chain of interfaces adds no path step, yet ends.
	var x any
	for range 100 {
		y := x
		x = &y
	}
	assert.Contains(t, Take(&x, Options{}).Truncated, "depth limit 32 reached at ")
}

func TestStrings(t *testing.T) {
	v := struct {
		Name  string
		Tags  map[string][]byte
		Count int
		List  []string
	}{"n", map[string][]byte{"k2": []byte("b"), "k1": []byte("a")}, 3, []string{"x", "y"}}
	var got []string
	Take(&v, Options{}).Strings(func(p Path, s string) bool {
		got = append(got, p.String()+"="+s)
		return true
	})
	assert.Equal(t, []string{".List[0]=x", ".List[1]=y", ".Name=n", `.Tags["k1"]=k1`, `.Tags["k1"]=a`, `.Tags["k2"]=k2`, `.Tags["k2"]=b`}, got)
	n := 0
	Take(&v, Options{}).Strings(func(Path, string) bool { n++; return n < 2 })
	assert.Equal(t, 2, n)
}

func TestRoots(t *testing.T) {
	assert.Equal(t, 1, Take(nil, Options{}).Nodes())
	s := Take(42, Options{}) // not a pointer: walked as it is
	v, _ := valueAt(s, "")
	assert.Equal(t, "42", v.Text)
	var p *int
	assert.Empty(t, Take(p, Options{}).Truncated)
}

// boom is a type the walk is made to misread (a Load method it lacks), so
// that the walk panics.
type boom struct{ _ int }

func TestPanicIsRecovered(t *testing.T) {
	infos.Store(reflect.TypeFor[boom](), &typeInfo{class: cAtomic})
	defer infos.Delete(reflect.TypeFor[boom]())
	v := &struct {
		mu sync.Mutex
		B  boom
	}{}
	var s *Snapshot
	require.NotPanics(t, func() { s = Take(&v, Options{}) })
	assert.Contains(t, s.Truncated, "panic: reflect")
	// The lock the walk took is released on the way out.
	require.True(t, v.mu.TryLock())
}

// A byte array behind an unexported field (a uuid.UUID in a struct) is read
// and diffed like any other value.
func TestUnexportedByteArray(t *testing.T) {
	type session struct{ id [16]byte }
	v := map[string]session{"a": {id: [16]byte{1, 2, 3}}}
	before := Take(&v, Options{})
	require.Empty(t, before.Truncated)
	v["a"] = session{id: [16]byte{1, 2, 4}}
	after := Take(&v, Options{})
	require.Empty(t, after.Truncated)
	assert.NotEmpty(t, changes(t, before, after), "the changed byte is seen")
	assert.Empty(t, changes(t, after, Take(&v, Options{})))
}
