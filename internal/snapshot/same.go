package snapshot

import (
	"math"
	"reflect"
	"strconv"
	"unsafe"
)

// Same reports whether v holds, value for value, what s recorded: whether a
// snapshot of v taken now would show no change against s. It reads v as
// Take does (atomically where Take does) but records nothing, so it costs
// a fraction of a snapshot and its diff: debug mode asks it first, after
// an invocation, and takes a snapshot to diff only when the answer is no.
//
// Same is strict where it need not be: a pointer, map or slice that now
// holds equal values at another address, a sync.Map or an atomic.Value or
// atomic.Pointer, or a snapshot that is incomplete (Truncated) or
// released, all answer false. False means "take a snapshot and diff"; true
// means every value s recorded is still there. v must be what s was taken
// of (the same pointer: the root's own address is not compared). Two
// things true does not promise: a new snapshot of a value that shares
// pointers may stop at MaxDepth elsewhere, since where a shared value is
// first met depends on the order maps are walked in; and a string is
// compared by its bytes as they are now, so one made with unsafe.String
// over a buffer the program later changed (which unsafe.String forbids)
// looks the same to Same, Take and Diff alike; a float32 is recorded as the
// float64 it converts to, which makes a signalling NaN quiet, so a NaN
// whose only change is that bit looks the same too. It never panics.
func (s *Snapshot) Same(v any) (same bool) {
	if s == nil || s.released || s.Truncated != "" || len(s.nodes) == 0 {
		return false
	}
	defer func() {
		if recover() != nil {
			same = false // the program changed v while it was read
		}
	}()
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	c := comparer{s: s, sp: make([]int8, len(s.types))}
	return c.same(0, rv, true)
}

// comparer walks a value along a snapshot of it.
type comparer struct {
	s     *Snapshot
	sp    []int8 // by type index: its special + 1; 0 until known
	looks int    // entries looked at to match map entries, for tests
	// The struct type met last and its fields (see leaf): most structs
	// walked are of one type.
	lastT      int32
	lastLeaves []leafField
	// inTake: the comparer judges one root-map entry at a time for Take
	// (Limits.Base). A reference is then the same only when it refers
	// into that entry (at self, or from lo on) or to the root: what it
	// refers to elsewhere may be gone or changed, unseen by this entry.
	inTake   bool
	self, lo int32
}

// refOK reports whether a reference to node f may be taken as the same.
func (c *comparer) refOK(f int32) bool {
	return !c.inTake || f == 0 || f == c.self || f >= c.lo
}

// leafFields returns where the fields of the struct type at index t are,
// and which are leaves.
func (c *comparer) leafFields(t int32) []leafField {
	if c.lastLeaves == nil || c.lastT != t {
		c.lastT, c.lastLeaves = t, leafFields(c.s.types[t])
	}
	return c.lastLeaves
}

func (c *comparer) special(t int32) special {
	if c.sp[t] == 0 {
		c.sp[t] = int8(classify(c.s.types[t]).sp) + 1
	}
	return special(c.sp[t] - 1)
}

// same compares v with node i. Only a value whose type is not its
// parent's to say (the root, an interface's) has its type compared: a
// field's, an element's or an entry's is the one the snapshot met there.
func (c *comparer) same(i int32, v reflect.Value, dynamic bool) bool {
	n := &c.s.nodes[i]
	if !v.IsValid() {
		return n.kind() == kNil && n.typ() == 0
	}
	if dynamic && c.s.types[n.typ()] != v.Type() {
		return false
	}
	k := n.kind()
	switch v.Kind() {
	case reflect.Bool:
		b := uint64(0)
		if v.Bool() {
			b = 1
		}
		return k == kBool && n.num == b
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return k == kInt && n.num == uint64(loadInt(v))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return k == kUint && n.num == loadUint(v)
	case reflect.Float32, reflect.Float64:
		return k == kFloat && n.num == math.Float64bits(v.Float())
	case reflect.Complex64, reflect.Complex128:
		return k == kComplex && c.s.str(n) == strconv.FormatComplex(v.Complex(), 'g', -1, 128)
	case reflect.String:
		return k == kString && c.s.str(n) == v.String()
	case reflect.Pointer:
		if v.IsNil() {
			return k == kNil
		}
		p := uint64(uintptr(v.UnsafePointer()))
		switch k {
		case kRef:
			return n.num == p && n.n == 0 && c.refOK(n.first)
		case kPtr:
			return n.num == p && c.same(n.first, v.Elem(), false)
		}
		return false
	case reflect.Interface:
		if v.IsNil() {
			return k == kNil
		}
		return k == kIface && c.same(n.first, v.Elem(), true)
	case reflect.Struct:
		switch c.special(n.typ()) {
		case spNone:
		case spOpaque:
			return k == kOpaque
		default:
			return c.atomic(n, v)
		}
		if k != kStruct || int(n.n) != v.NumField() {
			return false
		}
		// The fields that are leaves are read where they live (see leaf).
		var at unsafe.Pointer
		var leaves []leafField
		if v.CanAddr() {
			at, leaves = unsafe.Pointer(v.UnsafeAddr()), c.leafFields(n.typ())
		}
		first := n.first
		for f := range int(n.n) {
			if at != nil && leaves[f].kind != reflect.Invalid {
				if !c.leaf(first+int32(f), unsafe.Add(at, leaves[f].off), leaves[f].kind) {
					return false
				}
				continue
			}
			if !c.same(first+int32(f), v.Field(f), false) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if v.IsNil() {
			return k == kNil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return k == kBytes && c.s.str(n) == string(v.Bytes())
		}
		p, l := uint64(uintptr(v.UnsafePointer())), v.Len()
		switch k {
		case kRef:
			return n.num == p && int(n.n) == l && c.refOK(n.first)
		case kSlice:
			return n.num == p && int(n.n) == l && c.elems(n, v)
		}
		return false
	case reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return k == kBytes && c.s.str(n) == string(arrayBytes(v))
		}
		return k == kArray && int(n.n) == v.Len() && c.elems(n, v)
	case reflect.Map:
		if v.IsNil() {
			return k == kNil
		}
		p := uint64(uintptr(v.UnsafePointer()))
		switch k {
		case kRef:
			return n.num == p && c.refOK(n.first)
		case kMap:
			return n.num == p && int(n.n) == v.Len() && c.entries(n, v)
		}
		return false
	case reflect.UnsafePointer:
		p := loadPointer(v)
		if p == nil {
			return k == kNil
		}
		return k == kOpaque && n.num == uint64(uintptr(p))
	case reflect.Func, reflect.Chan:
		if v.IsNil() {
			return k == kNil
		}
		return k == kOpaque && n.num == uint64(v.Pointer())
	}
	return k == kOpaque
}

// atomic compares the atomic scalars Take reads; the atomics that hold a
// value of their own (atomic.Value, atomic.Pointer) and sync.Map are left
// to a snapshot.
func (c *comparer) atomic(n *node, v reflect.Value) bool {
	info := classify(v.Type())
	switch info.sp {
	case spBool:
		b := uint64(0)
		if loadUint(v.Field(info.v)) != 0 {
			b = 1
		}
		return n.kind() == kBool && n.num == b
	case spInt:
		return n.kind() == kInt && n.num == uint64(loadInt(v.Field(info.v)))
	case spUint:
		return n.kind() == kUint && n.num == loadUint(v.Field(info.v))
	}
	return false
}

func (c *comparer) elems(n *node, v reflect.Value) bool {
	first := n.first
	// Elements that are leaves are read where they live (see leaf): a
	// slice's always, an array's when it is addressable.
	if et := v.Type().Elem(); isLeaf(et.Kind()) && n.n > 0 {
		var data unsafe.Pointer
		switch {
		case v.Kind() == reflect.Slice:
			data = v.UnsafePointer()
		case v.CanAddr():
			data = unsafe.Pointer(v.UnsafeAddr())
		}
		if data != nil {
			lk, size := et.Kind(), et.Size()
			for j := range int(n.n) {
				if !c.leaf(first+int32(j), unsafe.Add(data, uintptr(j)*size), lk) {
					return false
				}
			}
			return true
		}
	}
	for j := range int(n.n) {
		if !c.same(first+int32(j), v.Index(j), false) {
			return false
		}
	}
	return true
}

// entries compares the entries of map m with those of node n, matched by
// their rendered keys. Two walks of one Go map meet its entries in nearly
// the same order (runs of it, rotated; see differ.maps): each entry is
// looked for where the last one's match puts it, then near there, then
// through an index of the keys.
func (c *comparer) entries(n *node, m reflect.Value) bool {
	size := int(n.n)
	if size == 0 {
		return true
	}
	if !oneToOne(m.Type()) {
		return false // two keys may render alike: a diff tells them apart
	}
	m, ro := readable(m)
	// As in walker.entries, the entries of a large map of pointers are
	// read ahead of the one compared, and what they point to fetched; one
	// more than size is read, to see a map that grew.
	var r mapReader
	r.start(m, c.plan(m.Type().Elem(), size), nil, size+1)
	bm := newBaseMatch(c, n)
	for j := 0; ; j++ {
		e := r.entry(j, nil)
		if e == nil {
			return j == size // not fewer: the map may have shrunk while it was read
		}
		if j == size {
			return false // the map grew while it was read
		}
		if _, same := bm.same(j, e.key, e.val, ro); !same {
			return false
		}
	}
}

// plan returns how to read ahead the values of a map of size entries of
// type t, or nil when they are not pointers or too few to be worth it.
func (c *comparer) plan(t reflect.Type, size int) *aheadPlan {
	if size < aheadMin || t.Kind() != reflect.Pointer {
		return nil
	}
	p := &aheadPlan{size: t.Elem().Size()}
	if e := t.Elem(); e.Kind() == reflect.Struct && classify(e).sp == spNone {
		p.fields = aheadFields(e, func(int) int32 { return 0 })
	}
	return p
}

// find returns the offset of the entry of map node n whose key is k, or -1
// when none has it. A string key read twice from one map is the very same
// bytes: it is looked for by address at most reach entries on each side of
// g, while the budget lasts, then, as any other key, through an index of
// the keys.
func (c *comparer) find(n *node, idx *map[string]int32, k string, g, reach int, strKey bool, budget *int) int {
	size := int(n.n)
	if *idx == nil && strKey && *budget > 0 {
		p := unsafe.StringData(k)
		for d := 1; d <= min(reach, size/2); d++ {
			c.looks += 2
			*budget -= 2
			for _, o := range [2]int{(g + d) % size, (g - d + size) % size} {
				if e := c.s.key(&c.s.nodes[n.first+int32(o)]); unsafe.StringData(e) == p && len(e) == len(k) {
					return o
				}
			}
		}
	}
	if *idx == nil {
		*idx = make(map[string]int32, size)
		for o := range int32(size) {
			(*idx)[c.s.key(&c.s.nodes[n.first+o])] = o
		}
	}
	if o, ok := (*idx)[k]; ok {
		return int(o)
	}
	return -1
}

// baseMatch finds, entry by entry, the entries of a map that a base
// snapshot recorded and that still hold what it recorded (Limits.Base).
type baseMatch struct {
	c      *comparer
	n      *node // the base's map node
	idx    map[string]int32
	shift  int
	reach  int
	budget int
	// Where the entries missed last and the time before were looked for
	// first (see predict); -1: not yet.
	miss1, miss2 int
}

func newBaseMatch(c *comparer, n *node) *baseMatch {
	size := int(n.n)
	return &baseMatch{c: c, n: n, reach: size, budget: 8*size + 8*nearBy, miss1: -1, miss2: -1}
}

// same returns the base's node for the map entry met j-th, of key k and
// value v, when the base recorded it and v still holds what it recorded.
func (m *baseMatch) same(j int, k, v reflect.Value, ro bool) (int32, bool) {
	if m == nil || m.n.n == 0 {
		return 0, false
	}
	size := int(m.n.n)
	key, strKey := renderKey(k, ro)
	g := (j + m.shift) % size
	if m.c.s.key(&m.c.s.nodes[m.n.first+int32(g)]) != key {
		o := m.predict(key, strKey)
		m.miss1, m.miss2 = g, m.miss1
		if o < 0 {
			o = m.c.find(m.n, &m.idx, key, g, m.reach, strKey, &m.budget)
		}
		if g = o; g < 0 {
			return 0, false
		}
		m.reach = nearBy
		m.shift = (g - j%size + size) % size
	}
	at := m.n.first + int32(g)
	if m.c.inTake && m.n == &m.c.s.nodes[0] { // the root map's entry, not one of a map inside it
		m.c.self, m.c.lo = at, math.MaxInt32
		if en := &m.c.s.nodes[at]; en.kind() != kRef && en.n > 0 {
			m.c.lo = en.first
		}
	}
	m.ahead(g)
	return at, m.c.same(at, v, false)
}

// predict returns the offset of the entry whose key is the very string k
// (see find) where the order of a Go map's walk puts it, or -1. A walk
// takes the map's tables in one order, from a table chosen at random, and
// the entries of each from a place chosen at random: where the base's walk
// met a table's entries at offsets t to t+l, another walk meets them from
// t+s to t+l, then from t to t+s, then the next table's from t+l+s' on. It
// misses the guess twice a table: after t+l, the entry is t, which was the
// guess two misses before (at the end of the table before); after t+s, it
// is the next table's t+l+s', s' after the guess at the last miss (t+l).
func (m *baseMatch) predict(k string, strKey bool) int {
	if !strKey || m.idx != nil || m.miss1 < 0 || m.budget <= 0 {
		return -1
	}
	size := int(m.n.n)
	p := unsafe.StringData(k)
	is := func(o int) bool {
		e := m.c.s.key(&m.c.s.nodes[m.n.first+int32(o)])
		return unsafe.StringData(e) == p && len(e) == len(k)
	}
	m.c.looks++
	m.budget--
	if m.miss2 >= 0 && is(m.miss2) {
		return m.miss2
	}
	for d := range min(nearBy, size) {
		if m.budget <= 0 {
			break
		}
		m.c.looks++
		m.budget--
		if o := (m.miss1 + d) % size; is(o) {
			return o
		}
	}
	return -1
}

// ahead fetches, in a large map, the first nodes below the base's entry
// aheadInside entries after offset g: two walks of one map meet its
// entries in nearly the same order, so that entry is most likely the one
// compared a few entries from now. Its own node, in the run of the map's
// entries, is in the caches already; the nodes below it (a struct's, its
// fields' and a few more: four cache lines) are elsewhere, and comparing
// with them would otherwise wait for memory.
func (m *baseMatch) ahead(g int) {
	size := int(m.n.n)
	if size < aheadMin {
		return
	}
	nodes := m.c.s.nodes
	e := &nodes[m.n.first+int32((g+aheadInside)%size)]
	if e.n > 0 && int(e.first) < len(nodes) {
		p := uintptr(unsafe.Pointer(&nodes[e.first]))
		for q := range uintptr(4) {
			prefetch(p + 64*q)
		}
	}
}
