package snapshot

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Limits bound a snapshot.
type Limits struct {
	MaxDepth int // levels below the root; 0 means DefaultMaxDepth
	MaxNodes int // values recorded; 0 means DefaultMaxNodes
	// Like is an earlier snapshot of the same variable, or nil: room for
	// as many values is made up front, which spares the copies of growing
	// (debug mode's snapshot after an invocation is like the one before).
	Like *Snapshot
	// Reuse is a snapshot no longer needed, or nil: the new one takes over
	// its memory rather than allocating (and the collector reclaiming) as
	// much again. Reuse must not be used afterwards; release it with
	// Release as soon as it is no longer needed.
	Reuse *Snapshot
	// Base is the snapshot the new one will be diffed against (as Diff's
	// first), or nil. When both hold a map at the root, the same map, an
	// entry that Base recorded and that still holds what Base recorded
	// (Snapshot.Same) is not copied again: the new snapshot notes that it
	// is Base's. Such a snapshot is for that diff: its Strings leaves those
	// entries' values out (they are Base's), and Base must not be released
	// before the diff is done.
	Base *Snapshot
}

// Defaults for Limits.
const (
	DefaultMaxDepth = 64
	DefaultMaxNodes = 2 << 20
)

type kind uint32

const (
	kNil       kind = iota // nil pointer, map, slice, interface, func, chan
	kBool                  // num
	kInt                   // num (int64 bits)
	kUint                  // num
	kFloat                 // num (float64 bits)
	kComplex               // str (formatted)
	kString                // str
	kBytes                 // str (a copy of a []byte or [N]byte)
	kPtr                   // one child; num = address
	kIface                 // one child: the dynamic value (or an atomic.Value's, an atomic.Pointer's)
	kStruct                // a child per field
	kSlice                 // a child per element; num = address
	kArray                 // a child per element
	kMap                   // a child per entry; each child's key holds its label; num = address
	kRef                   // a pointer, map or slice already seen: num = address, first = its node, n = a slice's length
	kOpaque                // func, chan, unsafe pointer, sync primitives: num = pointer
	kTruncated             // the walk stopped here (depth or size)
	kSame                  // a root map's entry as Limits.Base recorded it: num = its node there
)

// A node's kind, whether its map key is a string, and its type share one
// word: the kind and the flag in the low byte, the type's index above.
const (
	kindMask  = 0x3f
	keyStrBit = 0x80
	typeShift = 8
	maxTypes  = 1 << (32 - typeShift)
)

// node is one value. Children of a node are contiguous in Snapshot.nodes,
// from first to first+n. A node holds no pointer (its type and strings are
// indices into the snapshot's tables): the garbage collector does not scan
// the nodes, and growing them is a plain copy. This halves the cost of a
// large snapshot.
//
// A node is 24 bytes: the kind and the type share a word, and a string's
// index in Snapshot.strs is held where a number would be.
type node struct {
	// num is a bool, a number or an address; for strings, bytes and
	// complex numbers, their index in Snapshot.strs.
	num   uint64
	first int32
	n     int32
	tk    uint32 // kind, keyStrBit and the index in Snapshot.types (0: none)
	key   int32  // index in Snapshot.strs: a map entry's key, rendered
}

func (n *node) kind() kind       { return kind(n.tk & kindMask) }
func (n *node) setKind(k kind)   { n.tk = n.tk&^kindMask | uint32(k) }
func (n *node) typ() int32       { return int32(n.tk >> typeShift) }
func (n *node) strIndex() uint64 { return n.num }

// keyStr reports a map key that is a string (rendered quoted on demand).
func (n *node) keyStr() bool { return n.tk&keyStrBit != 0 }

// Snapshot is a deep copy of a value at one moment.
type Snapshot struct {
	nodes     []node
	types     []reflect.Type // types[0] is nil
	strs      []string       // strs[0] is ""
	Truncated string         // why the snapshot stopped early; empty when complete
	// info is by index in types, while the snapshot is taken. It is kept
	// here, on the heap already, rather than in the walker, which an
	// append to it would move there.
	info []typeInfo
	// visits is how many pointers, maps and slices the walk met: the
	// size a later snapshot like this one gives its set of them.
	visits int
	// released: Release cleared the snapshot for reuse.
	released bool
	// seen is the walk's set of visits, kept for a snapshot that reuses
	// this one's memory.
	seen visits
	// base is Limits.Base when some of its entries stand for this
	// snapshot's (kSame nodes).
	base *Snapshot
}

func (s *Snapshot) typeOf(n *node) reflect.Type { return s.types[n.typ()] }
func (s *Snapshot) str(n *node) string          { return s.strs[n.strIndex()] }
func (s *Snapshot) key(n *node) string          { return s.strs[n.key] }

// Nodes reports how many values the snapshot recorded.
func (s *Snapshot) Nodes() int { return len(s.nodes) }

type walker struct {
	s        *Snapshot
	lim      Limits
	base     *comparer // Limits.Base, when the root map's entries may be its (see entries)
	visited  visits
	root     unsafe.Pointer // the pointer Take was given, and its type
	rootType int32
	typeIdx  map[reflect.Type]int32
	lastT    reflect.Type // the type met last and its index: the dynamic
	lastI    int32        // types of a run of interfaces are most often one
}

// special says how the walk reads a struct of package sync or sync/atomic,
// whose fields are not plain data: reading them field by field would race
// with a program that uses them correctly.
type special uint8

const (
	spNone    special = iota
	spOpaque          // sync.Mutex and the like: no data
	spSyncMap         // sync.Map: its entries, through Range
	spBool            // atomic.Bool: a bool, loaded atomically
	spInt             // atomic.Int32, atomic.Int64
	spUint            // atomic.Uint32, atomic.Uint64, atomic.Uintptr
	spValue           // atomic.Value: what it holds
	spPointer         // atomic.Pointer[T]: what it points to
)

// typeInfo is what the walk needs to know of a type, worked out once.
type typeInfo struct {
	sp   special
	v    int          // the index of an atomic's field v, which holds its value
	off  uintptr      // that field's offset
	ptrT reflect.Type // atomic.Pointer[T]: *T
	// The types' indices of the parts of a value, found when first needed:
	// the children of a node get their type from their parent's, without
	// a look-up by reflect.Type.
	elem   int32   // pointer, slice, array, map: the element's; 0 until known
	fields []int32 // struct: the fields'; nil until known
	ahead  *aheadPlan
	leaves []leafField // struct: where its fields are, and which are leaves; nil until known
}

var syncTypes = map[string]bool{
	"Mutex": true, "RWMutex": true, "WaitGroup": true, "Once": true,
	"Cond": true, "Pool": true, "noCopy": true,
}

// classify works out how the walk reads a value of type t.
func classify(t reflect.Type) typeInfo {
	if t.Kind() != reflect.Struct {
		return typeInfo{}
	}
	switch t.PkgPath() {
	case "sync":
		switch {
		case t.Name() == "Map":
			return typeInfo{sp: spSyncMap}
		case syncTypes[t.Name()]:
			return typeInfo{sp: spOpaque}
		}
	case "internal/sync":
		return typeInfo{sp: spOpaque}
	case "sync/atomic":
		info := typeInfo{sp: spOpaque, v: -1} // an atomic not known here holds no data we can read safely
		for f := range t.NumField() {
			sf := t.Field(f)
			switch {
			case sf.Name == "v":
				info.v, info.off = f, sf.Offset
			case sf.Type.Kind() == reflect.Array && sf.Type.Elem().Kind() == reflect.Pointer:
				info.ptrT = sf.Type.Elem() // Pointer[T]'s _ [0]*T
			}
		}
		if info.v < 0 {
			return typeInfo{sp: spOpaque}
		}
		vk := t.Field(info.v).Type.Kind()
		name := t.Name()
		switch {
		case name == "Bool" && vk == reflect.Uint32:
			info.sp = spBool
		case (name == "Int32" && vk == reflect.Int32) || (name == "Int64" && vk == reflect.Int64):
			info.sp = spInt
		case (name == "Uint32" && vk == reflect.Uint32) || (name == "Uint64" && vk == reflect.Uint64) ||
			(name == "Uintptr" && vk == reflect.Uintptr):
			info.sp = spUint
		case name == "Value" && vk == reflect.Interface:
			info.sp = spValue
		case strings.HasPrefix(name, "Pointer[") && vk == reflect.UnsafePointer && info.ptrT != nil:
			info.sp = spPointer
		}
		return info
	}
	return typeInfo{}
}

// typeIndex returns t's index in the snapshot's type table, adding it.
func (w *walker) typeIndex(t reflect.Type) int32 {
	if t == w.lastT {
		return w.lastI
	}
	i, ok := w.typeIdx[t]
	if !ok {
		if len(w.s.types) >= maxTypes {
			panic("too many types")
		}
		i = int32(len(w.s.types))
		w.s.types = append(w.s.types, t)
		w.s.info = append(w.s.info, classify(t))
		w.typeIdx[t] = i
	}
	w.lastT, w.lastI = t, i
	return i
}

// elemType returns the index of the element type of the type at index t.
func (w *walker) elemType(t int32) int32 {
	if e := w.s.info[t].elem; e != 0 {
		return e
	}
	e := w.typeIndex(w.s.types[t].Elem())
	w.s.info[t].elem = e
	return e
}

// fieldTypes returns the indices of the field types of the struct type at
// index t.
func (w *walker) fieldTypes(t int32) []int32 {
	if f := w.s.info[t].fields; f != nil {
		return f
	}
	st := w.s.types[t]
	f := make([]int32, st.NumField())
	for i := range f {
		f[i] = w.typeIndex(st.Field(i).Type)
	}
	w.s.info[t].fields = f
	return f
}

// leafFields returns where the fields of the struct type at index t are,
// and which are leaves.
func (w *walker) leafFields(t int32) []leafField {
	if l := w.s.info[t].leaves; l != nil {
		return l
	}
	l := leafFields(w.s.types[t])
	w.s.info[t].leaves = l
	return l
}

// text adds a string to the snapshot's table and returns its index.
func (w *walker) text(s string) uint64 {
	if s == "" {
		return 0
	}
	if len(w.s.strs) == cap(w.s.strs) {
		w.s.strs = slices.Grow(w.s.strs, len(w.s.strs)) // double, as reserve does
	}
	w.s.strs = append(w.s.strs, s)
	return uint64(len(w.s.strs) - 1)
}

// Take snapshots the value v points to (or v itself when it is not a
// pointer). It never panics.
func Take(v any, lim Limits) (s *Snapshot) {
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = DefaultMaxDepth
	}
	if lim.MaxNodes <= 0 {
		lim.MaxNodes = DefaultMaxNodes
	}
	s = &Snapshot{types: make([]reflect.Type, 1, 16), info: make([]typeInfo, 1, 16)}
	if lim.Like != nil && lim.Like.released {
		lim.Like = nil // nothing left to be like
	}
	w := &walker{s: s, lim: lim, typeIdx: make(map[reflect.Type]int32)}
	if lim.Like != nil {
		// The types of the snapshot it is like come first, at the same
		// indices: Diff then compares types by index.
		for _, t := range lim.Like.types[1:] {
			w.typeIndex(t)
		}
	}
	if r := lim.Reuse; r != nil && r.released && r.nodes != nil {
		w.visited, r.seen = r.seen, visits{}
	}
	defer func() {
		s.info = nil
		s.visits = w.visited.n
		s.seen = w.visited
		if r := recover(); r != nil {
			s.Truncated = fmt.Sprintf("snapshot failed: %v", r)
		}
	}()
	if lim.Like != nil {
		w.visited.init(nil, lim.Like.visits+lim.Like.visits/16)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		// The root's pointer is not a node: it is met again only through
		// a cycle, as the value it points to (node 0).
		w.root, w.rootType = rv.UnsafePointer(), w.typeIndex(rv.Type())
		rv = rv.Elem()
	}
	// A map or a slice at the root, the usual watched variable, has at
	// least a node and most often a string per element: room for them
	// up front saves the copies of growing.
	size, strs := 1, 2
	switch rv.Kind() {
	case reflect.Map, reflect.Slice, reflect.Array:
		size += min(rv.Len(), lim.MaxNodes)
		strs = 2 * size
	}
	if lim.Like != nil {
		size = max(size, min(len(lim.Like.nodes)+len(lim.Like.nodes)/16, lim.MaxNodes))
		strs = max(strs, len(lim.Like.strs)+len(lim.Like.strs)/16)
	}
	if r := lim.Reuse; r != nil && r.released && r.nodes != nil {
		// Released: cleared up to its length, zero beyond, as reserve
		// expects of the room past the nodes in use.
		s.nodes, s.strs = r.nodes[:1], r.strs[:1]
		r.nodes, r.strs = nil, nil
	}
	if cap(s.nodes) < size {
		s.nodes = make([]node, 1, size)
	}
	if cap(s.strs) < strs {
		s.strs = make([]string, 1, strs)
	}
	if b := lim.Base; b != nil && !b.released && b.Truncated == "" && len(b.nodes) > 0 &&
		rv.Kind() == reflect.Map && !rv.IsNil() && oneToOne(rv.Type()) &&
		b.nodes[0].kind() == kMap && b.nodes[0].num == uint64(uintptr(rv.UnsafePointer())) && b.types[b.nodes[0].typ()] == rv.Type() {
		w.base = &comparer{s: b, sp: make([]int8, len(b.types)), inTake: true}
		s.base = b
	}
	w.fill(0, rv, -1, 0)
	return s
}

// Release clears the snapshot, so that it holds no copy of the data it was
// taken of, and marks its memory free for a later Take (Limits.Reuse). The
// snapshot must not be used afterwards.
func (s *Snapshot) Release() {
	if s == nil || s.released {
		return
	}
	clear(s.nodes)
	clear(s.strs)
	s.nodes, s.strs = s.nodes[:0], s.strs[:0]
	s.types = nil
	s.base = nil
	s.seen.reset()
	s.released = true
}

// writeAheadMin is the size of a table (nodes, strings) from which the
// walk fetches the room it will write (writeAhead): a smaller one stays in
// the caches, where fetching costs more than it saves.
const writeAheadMin = 1 << 18

// writeAhead fetches the memory a little past end bytes from p, in the
// room of a table the walk fills from the start: it writes there at a pace
// the processor's own fetching ahead does not keep up with, and past the
// caches each store would wait for its line. The two lines fetched are
// more than an entry of a large map most often writes.
func writeAhead(p unsafe.Pointer, end uintptr) {
	const ahead = 2048
	a := uintptr(p) + end + ahead
	prefetch(a)
	prefetch(a + 64)
}

// progress is where a walk stood when it began the elements of a large
// map, slice or array: after its first elements it can tell how much room
// the rest will need, and make it at once rather than by doubling.
type progress struct {
	nodes, strs, visits int
}

// projectAfter is how many elements are walked before the room for the
// rest is made; projectMin is the size of a container worth it.
const (
	projectAfter = 32
	projectMin   = 256
)

func (w *walker) progress() progress {
	return progress{len(w.s.nodes), len(w.s.strs), w.visited.n}
}

// projectBudget bounds what one projection makes room for, in nodes (or
// twice what the snapshot holds already, when that is more): the first elements
// of a container may be much larger than the rest, and room for the rest
// as if they were not is memory a small function does not have. A larger
// container grows from there by doubling, as without a projection.
const projectBudget = 1 << 19

// project makes room for the total-done elements left of a container,
// each as large as the done ones before it, and a little more when the
// room there is not enough; within projectBudget and MaxNodes. Strings and
// visits are bounded alike, and by the nodes: each belongs to one (a
// string value or a map key, two at most; a pointer, map or slice met, one).
func (w *walker) project(p progress, done, total int) {
	left := total - done
	need := func(now, then int) int { return now + (now-then)*left/done }
	nodes := min(need(len(w.s.nodes), p.nodes), w.lim.MaxNodes, max(2*len(w.s.nodes), projectBudget))
	nodes += nodes / 16
	if nodes > cap(w.s.nodes) {
		// At least double, as reserve does: the containers inside a
		// container project too, and growing by just enough each time
		// would copy the nodes once per inner container.
		w.s.nodes = slices.Grow(w.s.nodes, min(max(nodes, 2*cap(w.s.nodes)), w.lim.MaxNodes)-len(w.s.nodes))
	}
	if n := min(need(len(w.s.strs), p.strs), 2*nodes, max(2*len(w.s.strs), projectBudget)); n > cap(w.s.strs) {
		w.s.strs = slices.Grow(w.s.strs, max(n+n/16, 2*cap(w.s.strs))-len(w.s.strs))
	}
	n := min(need(w.visited.n, p.visits), nodes, max(2*w.visited.n, projectBudget))
	w.visited.init(w.s.nodes, n+n/16)
}

// reserve appends n empty children and returns the index of the first.
func (w *walker) reserve(n int) (int32, bool) {
	if len(w.s.nodes)+n > w.lim.MaxNodes {
		if w.s.Truncated == "" {
			w.s.Truncated = fmt.Sprintf("stopped at %d values (limit %d)", len(w.s.nodes), w.lim.MaxNodes)
		}
		return 0, false
	}
	first := len(w.s.nodes)
	if need := first + n; need > cap(w.s.nodes) {
		// Double, where append grows a large slice by a quarter: a snapshot
		// of 100,000 entries would otherwise copy its nodes a dozen times.
		grown := make([]node, first, max(2*cap(w.s.nodes), need, 64))
		copy(grown, w.s.nodes)
		w.s.nodes = grown
	}
	w.s.nodes = w.s.nodes[:first+n] // zero: the tail is never written before
	if cap(w.s.nodes) >= writeAheadMin {
		writeAhead(unsafe.Pointer(unsafe.SliceData(w.s.nodes)), uintptr(first+n)*unsafe.Sizeof(node{}))
	}
	return int32(first), true
}

// fill records v in node i. ti is the index of v's type, or -1 when it is
// to be looked up (the dynamic type of an interface).
func (w *walker) fill(i int32, v reflect.Value, ti int32, depth int) {
	n := &w.s.nodes[i]
	if !v.IsValid() {
		n.setKind(kNil)
		return
	}
	if ti < 0 {
		ti = w.typeIndex(v.Type())
	}
	n.tk = uint32(ti) << typeShift // the key, if any, is set after
	if depth > w.lim.MaxDepth {
		n.setKind(kTruncated)
		if w.s.Truncated == "" {
			w.s.Truncated = fmt.Sprintf("stopped at depth %d", w.lim.MaxDepth)
		}
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		n.setKind(kBool)
		if v.Bool() {
			n.num = 1
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n.setKind(kInt)
		n.num = uint64(loadInt(v))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n.setKind(kUint)
		n.num = loadUint(v)
	case reflect.Float32, reflect.Float64:
		n.setKind(kFloat)
		n.num = math.Float64bits(v.Float())
	case reflect.Complex64, reflect.Complex128:
		n.setKind(kComplex)
		n.num = w.text(strconv.FormatComplex(v.Complex(), 'g', -1, 128))
	case reflect.String:
		n.setKind(kString)
		n.num = w.text(v.String())
	case reflect.Pointer:
		if v.IsNil() {
			n.setKind(kNil)
			return
		}
		p := v.UnsafePointer()
		if w.seen(i, p, ti, 0) {
			return
		}
		n.setKind(kPtr)
		n.num = uint64(uintptr(p))
		et := w.elemType(ti)
		w.children(i, 1, func(c int32) { w.fill(c, v.Elem(), et, depth+1) })
	case reflect.Interface:
		if v.IsNil() {
			n.setKind(kNil)
			return
		}
		n.setKind(kIface)
		w.children(i, 1, func(c int32) { w.fill(c, v.Elem(), -1, depth+1) })
	case reflect.Struct:
		if w.s.info[ti].sp != spNone {
			info := w.s.info[ti] // a copy: the walk below may add types
			w.special(i, v, &info, depth)
			return
		}
		n.setKind(kStruct)
		fields := w.fieldTypes(ti)
		// The fields that are leaves are read where they live (see leaf),
		// unless they are past MaxDepth.
		var at unsafe.Pointer
		var leaves []leafField
		if v.CanAddr() && depth < w.lim.MaxDepth {
			at, leaves = unsafe.Pointer(v.UnsafeAddr()), w.leafFields(ti)
		}
		w.children(i, len(fields), func(c int32) {
			for f, ft := range fields {
				if at != nil && leaves[f].kind != reflect.Invalid {
					w.leaf(c+int32(f), unsafe.Add(at, leaves[f].off), leaves[f].kind, ft)
					continue
				}
				w.fill(c+int32(f), v.Field(f), ft, depth+1)
			}
		})
	case reflect.Slice:
		if v.IsNil() {
			n.setKind(kNil)
			return
		}
		t := w.s.types[ti]
		if t.Elem().Kind() == reflect.Uint8 {
			n.setKind(kBytes)
			n.num = w.text(string(v.Bytes()))
			return
		}
		p := v.UnsafePointer()
		if v.Len() > 0 && w.seen(i, p, ti, v.Len()) {
			return
		}
		n.setKind(kSlice)
		n.num = uint64(uintptr(p))
		w.elems(i, v, ti, depth)
	case reflect.Array:
		t := w.s.types[ti]
		if t.Elem().Kind() == reflect.Uint8 {
			n.setKind(kBytes)
			n.num = w.text(string(arrayBytes(v)))
			return
		}
		n.setKind(kArray)
		w.elems(i, v, ti, depth)
	case reflect.Map:
		if v.IsNil() {
			n.setKind(kNil)
			return
		}
		p := v.UnsafePointer()
		if w.seen(i, p, ti, 0) {
			return
		}
		n.setKind(kMap)
		n.num = uint64(uintptr(p))
		w.children(i, v.Len(), func(c int32) { w.entries(i, c, v, ti, depth) })
	case reflect.UnsafePointer:
		p := loadPointer(v)
		if p == nil {
			n.setKind(kNil)
			return
		}
		n.setKind(kOpaque)
		n.num = uint64(uintptr(p))
	case reflect.Func, reflect.Chan:
		if v.IsNil() {
			n.setKind(kNil)
			return
		}
		n.setKind(kOpaque)
		n.num = uint64(v.Pointer())
	default:
		n.setKind(kOpaque)
	}
}

// entries records the entries of map m, node i, from node first on. Each
// key and value is read into a reused Value rather than a new one per entry
// (see mapReader), which halves the cost of a map of strings.
func (w *walker) entries(i, first int32, m reflect.Value, ti int32, depth int) {
	m, ro := readable(m)
	vt := w.elemType(ti)
	want := w.s.nodes[i].n
	var plan *aheadPlan
	if want >= aheadMin {
		plan = w.aheadPlan(vt)
	}
	// The root map's entries that Limits.Base vouches for are its: matched
	// by key as Snapshot.Same matches them. Those are most, and the words
	// of the filter of visits their values would look at are not fetched.
	var bm *baseMatch
	vis := &w.visited
	if i == 0 && w.base != nil {
		bm = newBaseMatch(w.base, &w.base.s.nodes[0])
		vis = nil
	}
	var r mapReader
	r.start(m, plan, vis, int(want))
	at := w.progress()
	j := int32(0)
	for ; j < want; j++ {
		e := r.entry(int(j), vis)
		if e == nil {
			break // the map shrank while we read it
		}
		idx := first + j
		if g, ok := bm.same(int(j), e.key, e.val, ro); ok {
			n := &w.s.nodes[idx]
			n.tk = uint32(vt) << typeShift
			n.setKind(kSame)
			n.num = uint64(g)
		} else {
			w.fill(idx, e.val, vt, depth+1)
		}
		w.setKey(idx, e.key, ro)
		if j+1 == projectAfter && want >= projectMin {
			w.project(at, int(j+1), int(want))
		}
	}
	w.s.nodes[i].n = j
}

// setKey records in node i the key of the map entry it holds.
func (w *walker) setKey(i int32, k reflect.Value, ro bool) {
	r, isStr := renderKey(k, ro)
	n := &w.s.nodes[i]
	n.key = int32(w.text(r))
	if cap(w.s.strs) >= writeAheadMin {
		writeAhead(unsafe.Pointer(unsafe.SliceData(w.s.strs)), uintptr(len(w.s.strs))*unsafe.Sizeof(""))
	}
	if isStr {
		n.tk |= keyStrBit
	}
}

func (w *walker) elems(i int32, v reflect.Value, ti int32, depth int) {
	et := w.elemType(ti)
	// Elements that are leaves are read where they live (see leaf): a
	// slice's always, an array's when it is addressable.
	var data unsafe.Pointer
	var size uintptr
	lk := w.s.types[et].Kind()
	if isLeaf(lk) && depth < w.lim.MaxDepth && v.Len() > 0 {
		switch {
		case v.Kind() == reflect.Slice:
			data = v.UnsafePointer()
		case v.CanAddr():
			data = unsafe.Pointer(v.UnsafeAddr())
		}
		size = w.s.types[et].Size()
	}
	w.children(i, v.Len(), func(c int32) {
		at := w.progress()
		k := v.Len()
		for j := 0; j < k; j++ {
			if data != nil {
				w.leaf(c+int32(j), unsafe.Add(data, uintptr(j)*size), lk, et)
			} else {
				w.fill(c+int32(j), v.Index(j), et, depth+1)
			}
			if j+1 == projectAfter && k >= projectMin {
				w.project(at, j+1, k)
			}
		}
	})
}

// children reserves k children for node i and fills them with fn. When the
// size limit is reached, node i is marked truncated instead.
func (w *walker) children(i int32, k int, fn func(first int32)) {
	first, ok := w.reserve(k)
	if !ok {
		w.s.nodes[i].setKind(kTruncated)
		return
	}
	w.s.nodes[i].first, w.s.nodes[i].n = first, int32(k)
	fn(first)
}

// seen records a pointer, map or slice (of length n) of the type at index
// t, and reports whether it was met before; then node i becomes a
// reference to the first node, which breaks cycles. A reference is
// compared by the address it holds, which does not move when the values
// walked before it grow or shrink.
//
// The key of a visit is the address, the type and, for a slice, its
// length: a struct and its first field share an address, not a type, and
// two slices of one array are different values when their lengths differ.
func (w *walker) seen(i int32, p unsafe.Pointer, t int32, n int) bool {
	k := int32(min(n, math.MaxInt32))
	var at int32
	var ok bool
	if p == w.root && t == w.rootType && n == 0 {
		ok = true
	} else {
		at, ok = w.visited.add(w.s.nodes, p, t, k, i)
	}
	if ok {
		r := &w.s.nodes[i]
		r.setKind(kRef)
		r.num, r.first, r.n = uint64(uintptr(p)), at, k
	}
	return ok
}

// special records in node i a value of package sync or sync/atomic. The
// program may be changing it while it is read: an atomic is read with its
// atomic load, a sync.Map through Range, and both only where they live
// (addressable). A copy, which no one else can change, is read plainly.
func (w *walker) special(i int32, v reflect.Value, info *typeInfo, depth int) {
	n := &w.s.nodes[i]
	switch info.sp {
	case spBool:
		n.setKind(kBool)
		if loadUint(v.Field(info.v)) != 0 {
			n.num = 1
		}
	case spInt:
		n.setKind(kInt)
		n.num = uint64(loadInt(v.Field(info.v)))
	case spUint:
		n.setKind(kUint)
		n.num = loadUint(v.Field(info.v))
	case spValue:
		var x reflect.Value
		if v.CanAddr() {
			x = reflect.ValueOf((*atomic.Value)(unsafe.Pointer(v.UnsafeAddr())).Load())
		} else {
			x = v.Field(info.v).Elem()
		}
		if !x.IsValid() {
			n.setKind(kNil)
			return
		}
		n.setKind(kIface)
		w.children(i, 1, func(c int32) { w.fill(c, x, -1, depth+1) })
	case spPointer:
		var p unsafe.Pointer
		if v.CanAddr() {
			p = atomic.LoadPointer((*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(v.UnsafeAddr()), info.off)))
		} else {
			p = v.Field(info.v).UnsafePointer()
		}
		if p == nil {
			n.setKind(kNil)
			return
		}
		n.setKind(kIface)
		x := reflect.NewAt(info.ptrT.Elem(), p)
		w.children(i, 1, func(c int32) { w.fill(c, x, -1, depth+1) })
	case spSyncMap:
		if !v.CanAddr() {
			n.setKind(kOpaque)
			return
		}
		w.syncMap(i, (*sync.Map)(unsafe.Pointer(v.UnsafeAddr())), depth)
	default:
		n.setKind(kOpaque)
	}
}

// syncMap records the entries of m in node i, as those of a map.
func (w *walker) syncMap(i int32, m *sync.Map, depth int) {
	var keys, vals []any
	most := w.lim.MaxNodes // more would not be recorded; w stays on the stack
	m.Range(func(k, v any) bool {
		keys, vals = append(keys, k), append(vals, v)
		return len(keys) <= most
	})
	w.s.nodes[i].setKind(kMap)
	w.children(i, len(keys), func(first int32) {
		for j := range keys {
			idx := first + int32(j)
			w.fill(idx, reflect.ValueOf(vals[j]), -1, depth+1)
			w.setKey(idx, reflect.ValueOf(keys[j]), false)
		}
	})
}

// loadInt reads a signed integer. One that lives in memory others can reach
// may be changed with sync/atomic (atomic.AddInt64(&s.n, 1)): it is read
// where it lives, as leafNum reads it (atomically for the sizes sync/atomic
// changes), so that the snapshot does not race with a correct program.
func loadInt(v reflect.Value) int64 {
	if v.CanAddr() {
		_, n := leafNum(unsafe.Pointer(v.UnsafeAddr()), v.Kind())
		return int64(n)
	}
	return v.Int()
}

// loadUint is loadInt for unsigned integers.
func loadUint(v reflect.Value) uint64 {
	if v.CanAddr() {
		_, n := leafNum(unsafe.Pointer(v.UnsafeAddr()), v.Kind())
		return n
	}
	return v.Uint()
}

// loadPointer reads an unsafe.Pointer: atomically where it lives in memory
// others can reach, since it may be stored with atomic.StorePointer.
func loadPointer(v reflect.Value) unsafe.Pointer {
	if v.CanAddr() {
		return atomic.LoadPointer((*unsafe.Pointer)(unsafe.Pointer(v.UnsafeAddr())))
	}
	return v.UnsafePointer()
}

// arrayBytes copies an array of bytes ([16]byte, a uuid.UUID). reflect.Copy
// refuses one reached through an unexported field; reading it does not.
func arrayBytes(v reflect.Value) []byte {
	b := make([]byte, v.Len())
	if v.CanAddr() {
		copy(b, unsafe.Slice((*byte)(unsafe.Pointer(v.UnsafeAddr())), len(b)))
		return b
	}
	for i := range b {
		b[i] = byte(v.Index(i).Uint())
	}
	return b
}

// renderKey renders a map key for a path. String keys are kept raw and
// quoted only when a path is printed.
func renderKey(k reflect.Value, ro bool) (string, bool) {
	switch k.Kind() {
	case reflect.String:
		return k.String(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), false
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10), false
	case reflect.Bool:
		return strconv.FormatBool(k.Bool()), false
	}
	defer func() { _ = recover() }()
	return fmt.Sprintf("%v", printable(k, ro)), false
}

// printable returns something fmt can print for k, even when k was reached
// through an unexported field (where Interface panics, or would if ro): the
// key's own value, rendered field by field, so that two keys that differ
// render differently.
func printable(k reflect.Value, ro bool) any {
	if !ro && k.CanInterface() {
		return k.Interface()
	}
	var b strings.Builder
	formatKey(&b, k, 0)
	return b.String()
}

// formatKey writes k as fmt's %v would, by reflection alone.
func formatKey(b *strings.Builder, k reflect.Value, depth int) {
	if depth > 8 {
		b.WriteString("...")
		return
	}
	switch k.Kind() {
	case reflect.String:
		b.WriteString(k.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(k.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.WriteString(strconv.FormatUint(k.Uint(), 10))
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(k.Bool()))
	case reflect.Float32, reflect.Float64:
		b.WriteString(strconv.FormatFloat(k.Float(), 'g', -1, 64))
	case reflect.Complex64, reflect.Complex128:
		b.WriteString(strconv.FormatComplex(k.Complex(), 'g', -1, 128))
	case reflect.Struct:
		b.WriteByte('{')
		for i := 0; i < k.NumField(); i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			formatKey(b, k.Field(i), depth+1)
		}
		b.WriteByte('}')
	case reflect.Array:
		b.WriteByte('[')
		for i := 0; i < k.Len(); i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			formatKey(b, k.Index(i), depth+1)
		}
		b.WriteByte(']')
	case reflect.Interface:
		if k.IsNil() {
			b.WriteString("<nil>")
			return
		}
		formatKey(b, k.Elem(), depth+1)
	case reflect.Pointer, reflect.Chan, reflect.UnsafePointer:
		b.WriteString("0x" + strconv.FormatUint(uint64(k.Pointer()), 16))
	default:
		b.WriteString(k.String())
	}
}
