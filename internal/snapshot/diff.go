package snapshot

import (
	"hash/maphash"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unsafe"
)

// Op says how a value changed.
type Op string

// The ways a value can change.
const (
	Changed Op = "changed"
	Added   Op = "added"
	Removed Op = "removed"
)

// Change is one difference between two snapshots.
type Change struct {
	Path     string // go-cmp style, relative to the root: `["user:42"]`, `.Token`, `[3]`
	Op       Op
	Old, New Value // the zero Value where absent
}

// Value is a leaf (or a summary of a composite) as recorded in a snapshot.
type Value struct {
	Type   string // Go type, "" when absent
	Kind   string // "string", "int", "nil", "map"...
	Text   string // the value, rendered; strings and bytes raw
	Length int    // length of strings, bytes, slices and maps; -1 when not applicable
	Valid  bool
}

// IsText reports whether the value is a string or bytes: the kind of value
// that carries request data.
func (v Value) IsText() bool { return v.Kind == "string" || v.Kind == "bytes" }

// Diff returns the changes from a to b, at most max of them (max <= 0: all)
// and whether more were left out. Both must be snapshots of the same
// variable.
func Diff(a, b *Snapshot, max int) (changes []Change, more bool) {
	d := &differ{a: a, b: b, max: max, hash: maphash.String}
	if len(a.nodes) > 0 && len(b.nodes) > 0 {
		d.node(0, 0)
	}
	return d.out, d.more
}

type differ struct {
	a, b *Snapshot
	max  int
	out  []Change
	more bool
	path path
	// followed holds the pairs of nodes compared through a reference, so
	// that no pair is compared twice and the walk ends on any cycle.
	followed map[[2]int32]bool
	// Buffers of maps' entries, reused from map to map.
	seen   stack[bool]
	slots  stack[int32]
	hashes stack[uint64]
	// hash hashes map keys for the key index (maphash.String; tests make
	// keys collide).
	hash   func(maphash.Seed, string) uint64
	seed   maphash.Seed
	seeded bool
	// typeIdx says whether types are compared by their index in the
	// snapshots' tables: 0 not known yet, 1 yes, -1 no.
	typeIdx int8
}

// step is one step down from a value to one of its parts. Steps are kept on
// a stack while the walk goes down and rendered only for a change, so that
// an unchanged value costs no string and no allocation. A step holds no
// pointer: pushing one is a plain copy.
type step struct {
	node int32 // a field's struct; a map entry (which holds its key)
	i    int32 // the field number or the index
	kind stepKind
	b    bool // node is in the second snapshot of the diff
}

type stepKind uint8

const (
	stepField stepKind = iota
	stepIndex
	stepEntry
)

// path is the stack of steps from the root to the value at hand.
type path []step

// render renders the path; its steps' nodes are in x, or in y for those
// marked b.
func (p path) render(x, y *Snapshot) string {
	var b strings.Builder
	for _, st := range p {
		s := x
		if st.b {
			s = y
		}
		switch st.kind {
		case stepField:
			b.WriteByte('.')
			b.WriteString(s.typeOf(&s.nodes[st.node]).Field(int(st.i)).Name)
		case stepIndex:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(int(st.i)))
			b.WriteByte(']')
		case stepEntry:
			n := &s.nodes[st.node]
			b.WriteByte('[')
			if n.keyStr() {
				b.WriteString(strconv.Quote(s.key(n)))
			} else {
				b.WriteString(s.key(n))
			}
			b.WriteByte(']')
		}
	}
	return b.String()
}

// field is field f of the struct at node.
func field(node, f int32) step { return step{node: node, i: f, kind: stepField} }

func index(e int32) step { return step{i: e, kind: stepIndex} }

// entry is the map entry at node, of the first snapshot or, when b, of the
// second.
func entry(node int32, b bool) step { return step{node: node, kind: stepEntry, b: b} }

func (d *differ) emit(op Op, old, new Value) bool {
	if d.max > 0 && len(d.out) >= d.max {
		d.more = true
		return false
	}
	d.out = append(d.out, Change{Path: d.path.render(d.a, d.b), Op: op, Old: old, New: new})
	return true
}

func (d *differ) full() bool { return d.max > 0 && len(d.out) >= d.max }

// down runs fn one step below the current value.
func (d *differ) down(st step, fn func()) {
	d.path = append(d.path, st)
	fn()
	d.path = d.path[:len(d.path)-1]
}

func (d *differ) changed(i, j int32) { d.emit(Changed, d.a.value(i), d.b.value(j)) }

func (d *differ) node(i, j int32) {
	if d.full() {
		d.more = true
		return
	}
	x, y := &d.a.nodes[i], &d.b.nodes[j]
	if x.kind() != y.kind() || !d.sameType(x, y) {
		if !d.follow(i, j) {
			d.changed(i, j)
		}
		return
	}
	switch x.kind() {
	case kNil, kTruncated:
	case kBool, kInt, kUint, kFloat, kOpaque:
		if x.num != y.num {
			d.changed(i, j)
		}
	case kRef:
		if x.num != y.num || x.n != y.n {
			d.changed(i, j)
		}
	case kString, kBytes, kComplex:
		if d.a.str(x) != d.b.str(y) {
			d.changed(i, j)
		}
	case kPtr, kIface:
		d.node(x.first, y.first)
	case kStruct:
		for f := int32(0); f < x.n && f < y.n; f++ {
			d.path = append(d.path, field(i, f))
			d.node(x.first+f, y.first+f)
			d.path = d.path[:len(d.path)-1]
		}
	case kSlice, kArray:
		k := min(x.n, y.n)
		for e := int32(0); e < k; e++ {
			d.path = append(d.path, index(e))
			d.node(x.first+e, y.first+e)
			d.path = d.path[:len(d.path)-1]
		}
		for e := k; e < x.n; e++ {
			d.down(index(e), func() { d.emit(Removed, d.a.value(x.first+e), Value{}) })
		}
		for e := k; e < y.n; e++ {
			d.down(index(e), func() { d.emit(Added, Value{}, d.b.value(y.first+e)) })
		}
	case kMap:
		d.maps(x, y)
	}
}

// sameType reports whether node x, of a, and node y, of b, hold values of
// one type. Where b was taken like a (or a like b), the type tables agree
// on the indices of the types they share, and the indices are compared.
func (d *differ) sameType(x, y *node) bool {
	if d.typeIdx == 0 {
		d.typeIdx = -1
		short, long := d.a.types, d.b.types
		if len(long) < len(short) {
			short, long = long, short
		}
		if slices.Equal(short, long[:len(short)]) {
			d.typeIdx = 1
		}
	}
	if d.typeIdx > 0 {
		return x.typ() == y.typ()
	}
	return d.a.typeOf(x) == d.b.typeOf(y)
}

// follow compares node i, of a, and node j, of b, of one type, when one is
// a reference and the other the value it refers to: the same pointer, met
// first elsewhere in one walk than in the other (maps are walked in no
// order). The value is compared with the one the reference stands for. It
// reports false when the two do not hold the same address.
func (d *differ) follow(i, j int32) bool {
	x, y := &d.a.nodes[i], &d.b.nodes[j]
	t := d.a.typeOf(x)
	if (x.kind() != kRef && y.kind() != kRef) || t != d.b.typeOf(y) || x.num != y.num {
		return false
	}
	if x.kind() == kRef {
		i = x.first
	}
	if y.kind() == kRef {
		j = y.first
	}
	// The root's pointer refers to the value it points to; a value cut
	// short holds no address.
	if !addressed(d.a, i, t) || !addressed(d.b, j, t) {
		return false
	}
	if d.followed == nil {
		d.followed = make(map[[2]int32]bool)
	}
	if !d.followed[[2]int32{i, j}] {
		d.followed[[2]int32{i, j}] = true
		d.node(i, j)
	}
	return true
}

// addressed reports whether node i of s holds a pointer, map or slice of
// type t.
func addressed(s *Snapshot, i int32, t reflect.Type) bool {
	n := &s.nodes[i]
	return (n.kind() == kPtr || n.kind() == kMap || n.kind() == kSlice) && s.typeOf(n) == t
}

func (d *differ) maps(x, y *node) {
	n := int(x.n)
	seen := d.seen.get(n) // by entry of x
	defer d.seen.put(n)
	var idx keyIndex
	defer func() { d.slots.put(len(idx.slots)); d.hashes.put(len(idx.hashes)) }()
	// Two walks of one Go map meet its entries in nearly the same order
	// (runs of it, rotated): b's next entry is looked for first where a's
	// order puts it, then near there (see near), then, when it is not
	// there, through the index. Only keys that render one to one may be
	// matched that way: where two entries share a name, the index says
	// which one is matched.
	inOrder := oneToOne(d.a.typeOf(x))
	shift := 0   // b's entry e is guessed to be a's entry e+shift, modulo n
	far := false // whether an entry was looked for further than nearBy
	dir := -1    // where near found the entry last time: 1 ahead, -1 behind
	// Looking near costs at most budget looks, a few times the map's size
	// (about four in a map that did not change; the orders of one that
	// grew or shrank in between differ more).
	budget := 8*n + 8*nearBy
	matched := 0
	for e := 0; e < int(y.n); e++ {
		be := y.first + int32(e)
		k := d.b.key(&d.b.nodes[be])
		o := -1
		if inOrder && n > 0 {
			g := (e + shift) % n
			if !seen[g] && d.a.key(&d.a.nodes[x.first+int32(g)]) == k {
				o = g
			}
		}
		if o < 0 && inOrder && idx.slots == nil && n > linearScan && budget > 0 && d.b.nodes[be].keyStr() {
			// The walks start in different tables: the first time, the
			// entry may be anywhere.
			reach := nearBy
			if !far {
				reach, far = n, true
			}
			g := (e + shift) % n
			var looks int
			o, looks = d.near(x, seen, k, g, reach, -dir)
			budget -= looks
			if o >= 0 {
				dir = 1
				if (o-g+n)%n > n/2 {
					dir = -1
				}
			}
		}
		if o >= 0 {
			shift = (o - e%n + n) % n
		} else {
			if idx.slots == nil && n > linearScan {
				idx = d.index(x)
			}
			// A key seen already is a duplicate rendering (a key type that
			// cannot be printed): it matches once, as a deleted entry would.
			if o = d.find(&idx, x, k); o >= 0 && seen[o] {
				o = -1
			}
			if o >= 0 {
				shift = (o - e%n + n) % n
			}
		}
		d.path = append(d.path, entry(be, true))
		if o >= 0 {
			matched++
			seen[o] = true
			d.node(x.first+int32(o), be)
		} else {
			d.emit(Added, Value{}, d.b.value(be))
		}
		d.path = d.path[:len(d.path)-1]
	}
	if matched == n {
		return // every old entry is still there
	}
	for e := x.first; e < x.first+x.n; e++ {
		if !seen[e-x.first] {
			d.down(entry(e, false), func() { d.emit(Removed, d.a.value(e), Value{}) })
		}
	}
}

// nearBy is how far from where it was looked for first an entry is looked
// for by the address of its key: further than the entries a Go map keeps
// together (its tables hold at most 1024).
const nearBy = 1024

// near looks for the unseen entry of map x, of snapshot a, whose key is
// the very string k (the same bytes in memory, as a key read twice from
// one map is), at most reach entries from offset g. It returns its offset,
// or -1, and how many entries it looked at. Two walks of one Go map take its tables in the same order, each
// from another place: once the first entry is found, an entry that is not
// where the walk of a put it is not far. This spares a large map that did
// not change its key index.
//
// It looks first in the direction dir (1 or -1), up to reach, then in the
// other: in a Go map's order, the entry is most often behind when it was
// ahead the time before, and the other way round.
func (d *differ) near(x *node, seen []bool, k string, g, reach, dir int) (int, int) {
	n := int(x.n)
	p := unsafe.StringData(k)
	reach = min(reach, n-1)
	looks := 0
	for _, step := range [2]int{dir, -dir} {
		o := g
		for range reach {
			looks++
			if o += step; o == n {
				o = 0
			} else if o < 0 {
				o = n - 1
			}
			if seen[o] {
				continue
			}
			if c := d.a.key(&d.a.nodes[x.first+int32(o)]); len(c) == len(k) && unsafe.StringData(c) == p {
				return o, looks
			}
		}
	}
	return -1, looks
}

// oneToOne reports whether the keys of a map of type t render one to one:
// two entries never share a rendered key.
func oneToOne(t reflect.Type) bool {
	if t == nil || t.Kind() != reflect.Map {
		return false // a sync.Map's keys are of any type
	}
	switch t.Key().Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

// linearScan is the size up to which a map's entries are looked up one by
// one rather than through an index.
const linearScan = 16

// keyIndex finds the entries of a map of snapshot a by their rendered key:
// open addressing on a hash of the key, which is only a hint: the keys
// themselves are compared, so that two keys whose hashes collide are still
// told apart.
type keyIndex struct {
	slots  []int32  // an entry's offset + 1; 0: empty. A power of two long
	hashes []uint64 // by offset
}

// index builds the key index of map x, of snapshot a. Where two entries
// share a rendered key, it holds the last one, as a Go map would.
func (d *differ) index(x *node) keyIndex {
	n := int(x.n)
	size := 8
	for size < 2*n {
		size *= 2
	}
	if !d.seeded {
		d.seed, d.seeded = maphash.MakeSeed(), true
	}
	idx := keyIndex{slots: d.slots.get(size), hashes: d.hashes.get(n)}
	mask := uint64(size - 1)
	for o := range n {
		k := d.a.key(&d.a.nodes[x.first+int32(o)])
		h := d.hash(d.seed, k)
		idx.hashes[o] = h
		p := h & mask
		for {
			s := idx.slots[p]
			if s == 0 || (idx.hashes[s-1] == h && d.a.key(&d.a.nodes[x.first+s-1]) == k) {
				idx.slots[p] = int32(o + 1)
				break
			}
			p = (p + 1) & mask
		}
	}
	return idx
}

// find returns the offset in map x, of snapshot a, of the last entry
// whose key renders as k, or -1. Without an index it looks at every entry.
func (d *differ) find(idx *keyIndex, x *node, k string) int {
	if idx.slots == nil {
		for o := int(x.n) - 1; o >= 0; o-- {
			if d.a.key(&d.a.nodes[x.first+int32(o)]) == k {
				return o
			}
		}
		return -1
	}
	h := d.hash(d.seed, k)
	mask := uint64(len(idx.slots) - 1)
	for p := h & mask; ; p = (p + 1) & mask {
		s := idx.slots[p]
		if s == 0 {
			return -1
		}
		if idx.hashes[s-1] == h && d.a.key(&d.a.nodes[x.first+s-1]) == k {
			return int(s - 1)
		}
	}
}

// stack hands out buffers that are given back in the reverse order, as
// the diff's walk goes down into maps held by maps and back up: one
// allocation serves every map of a diff.
type stack[T any] struct {
	buf []T
	top int
}

// get returns n zeroed elements.
func (s *stack[T]) get(n int) []T {
	if s.top+n > len(s.buf) {
		// What was handed out stays where it is, with its holders.
		s.buf = make([]T, max(2*len(s.buf), s.top+n, 64))
	}
	r := s.buf[s.top : s.top+n : s.top+n]
	clear(r)
	s.top += n
	return r
}

// put gives back the last n elements got.
func (s *stack[T]) put(n int) { s.top -= n }

// value summarises node i.
func (s *Snapshot) value(i int32) Value {
	n := &s.nodes[i]
	v := Value{Valid: true, Length: -1}
	if t := s.typeOf(n); t != nil {
		v.Type = t.String()
	}
	switch n.kind() {
	case kNil:
		v.Kind, v.Text = "nil", "nil"
	case kBool:
		v.Kind, v.Text = "bool", strconv.FormatBool(n.num == 1)
	case kInt:
		v.Kind, v.Text = "int", strconv.FormatInt(int64(n.num), 10)
	case kUint:
		v.Kind, v.Text = "uint", strconv.FormatUint(n.num, 10)
	case kFloat:
		v.Kind, v.Text = "float", strconv.FormatFloat(math.Float64frombits(n.num), 'g', -1, 64)
	case kComplex:
		v.Kind, v.Text = "complex", s.str(n)
	case kString:
		v.Kind, v.Text, v.Length = "string", s.str(n), len(s.str(n))
	case kBytes:
		v.Kind, v.Text, v.Length = "bytes", s.str(n), len(s.str(n))
	case kPtr, kIface:
		inner := s.value(n.first)
		inner.Type = v.Type
		return inner
	case kStruct:
		v.Kind, v.Text = "struct", "{...}"
	case kSlice:
		v.Kind, v.Text, v.Length = "slice", "[...]", int(n.n)
	case kArray:
		v.Kind, v.Text, v.Length = "array", "[...]", int(n.n)
	case kMap:
		v.Kind, v.Text, v.Length = "map", "{...}", int(n.n)
	case kRef:
		v.Kind, v.Text = "ref", "(cycle)"
	case kOpaque:
		v.Kind, v.Text = "opaque", "0x"+strconv.FormatUint(n.num, 16)
	case kTruncated:
		v.Kind, v.Text = "truncated", "..."
	}
	return v
}

// Strings calls fn for every string and bytes value in the snapshot, and for
// every string map key, with its path. fn returns false to stop.
func (s *Snapshot) Strings(fn func(path, value string) bool) {
	if len(s.nodes) == 0 {
		return
	}
	(&stringer{s: s, keys: true, fn: fn}).walk(0)
}

// Values is Strings without the map keys.
func (s *Snapshot) Values(fn func(path, value string) bool) {
	if len(s.nodes) == 0 {
		return
	}
	(&stringer{s: s, fn: fn}).walk(0)
}

type stringer struct {
	s    *Snapshot
	keys bool
	fn   func(path, value string) bool
	path path
}

func (w *stringer) walk(i int32) bool {
	s := w.s
	n := &s.nodes[i]
	switch n.kind() {
	case kString, kBytes:
		return w.fn(w.path.render(s, s), s.str(n))
	case kPtr, kIface:
		return w.walk(n.first)
	case kStruct:
		for f := int32(0); f < n.n; f++ {
			if !w.down(field(i, f), n.first+f, false) {
				return false
			}
		}
	case kSlice, kArray:
		for e := int32(0); e < n.n; e++ {
			if !w.down(index(e), n.first+e, false) {
				return false
			}
		}
	case kMap:
		for e := n.first; e < n.first+n.n; e++ {
			if !w.down(entry(e, false), e, w.keys && s.nodes[e].keyStr()) {
				return false
			}
		}
	}
	return true
}

// down walks node i one step below, first reporting its map key when key.
func (w *stringer) down(st step, i int32, key bool) bool {
	w.path = append(w.path, st)
	defer func() { w.path = w.path[:len(w.path)-1] }()
	if key && !w.fn(w.path.render(w.s, w.s), w.s.key(&w.s.nodes[i])) {
		return false
	}
	return w.walk(i)
}
