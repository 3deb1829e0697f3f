package snapshot

import (
	"hash/maphash"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
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

func (d *differ) emit(op Op, old, new Value) {
	if d.max > 0 && len(d.out) >= d.max {
		d.more = true
		return
	}
	d.out = append(d.out, Change{Path: d.path.render(d.a, d.b), Op: op, Old: old, New: new})
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
	if y.kind() == kSame && d.b.base == d.a && int32(y.num) == i {
		return // b holds what a recorded here (Limits.Base)
	}
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

// value summarises node i.
func (s *Snapshot) value(i int32) Value {
	n := &s.nodes[i]
	if n.kind() == kSame && s.base != nil {
		return s.base.value(int32(n.num)) // what the base recorded, and still there
	}
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
