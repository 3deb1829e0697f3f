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
}

// Defaults for Limits.
const (
	DefaultMaxDepth = 64
	DefaultMaxNodes = 2 << 20
)

type kind uint8

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
)

// node is one value. Children of a node are contiguous in Snapshot.nodes,
// from first to first+n. A node holds no pointer (its type and strings are
// indices into the snapshot's tables): the garbage collector does not scan
// the nodes, and growing them is a plain copy. This halves the cost of a
// large snapshot.
type node struct {
	num   uint64
	first int32
	n     int32
	typ   int32 // index in Snapshot.types; 0: none
	str   int32 // index in Snapshot.strs: strings, bytes, complex numbers
	key   int32 // index in Snapshot.strs: a map entry's key, rendered
	kind  kind
	// keyStr marks a map key that is a string (rendered quoted on demand).
	keyStr bool
}

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
}

func (s *Snapshot) typeOf(n *node) reflect.Type { return s.types[n.typ] }
func (s *Snapshot) str(n *node) string          { return s.strs[n.str] }
func (s *Snapshot) key(n *node) string          { return s.strs[n.key] }

// Nodes reports how many values the snapshot recorded.
func (s *Snapshot) Nodes() int { return len(s.nodes) }

// visitKey is a pointer, its type's index and, for a slice, its length: a
// struct and its first field share an address, not a type, and two slices
// of one array are different values when their lengths differ. An index
// hashes faster than a reflect.Type.
type visitKey struct {
	ptr unsafe.Pointer
	typ int32
	n   int32
}

type walker struct {
	s       *Snapshot
	lim     Limits
	visited map[visitKey]int32
	typeIdx map[reflect.Type]int32
	lastT   reflect.Type // the type met last and its index: most runs of
	lastI   int32        // nodes are elements of one slice or map
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
	elem reflect.Type // atomic.Pointer[T]: *T
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
				info.elem = sf.Type.Elem() // Pointer[T]'s _ [0]*T
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
		case strings.HasPrefix(name, "Pointer[") && vk == reflect.UnsafePointer && info.elem != nil:
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
		i = int32(len(w.s.types))
		w.s.types = append(w.s.types, t)
		w.s.info = append(w.s.info, classify(t))
		w.typeIdx[t] = i
	}
	w.lastT, w.lastI = t, i
	return i
}

// text adds a string to the snapshot's table and returns its index.
func (w *walker) text(s string) int32 {
	if s == "" {
		return 0
	}
	if len(w.s.strs) == cap(w.s.strs) {
		w.s.strs = slices.Grow(w.s.strs, len(w.s.strs)) // double, as reserve does
	}
	w.s.strs = append(w.s.strs, s)
	return int32(len(w.s.strs) - 1)
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
	w := &walker{s: s, lim: lim, visited: make(map[visitKey]int32), typeIdx: make(map[reflect.Type]int32)}
	defer func() {
		s.info = nil
		if r := recover(); r != nil {
			s.Truncated = fmt.Sprintf("snapshot failed: %v", r)
		}
	}()
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		w.visited[visitKey{rv.UnsafePointer(), w.typeIndex(rv.Type()), 0}] = 0
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
		size = max(size, min(len(lim.Like.nodes)+len(lim.Like.nodes)/8, lim.MaxNodes))
		strs = max(strs, len(lim.Like.strs)+len(lim.Like.strs)/8)
	}
	s.nodes = make([]node, 1, size)
	s.strs = make([]string, 1, strs)
	w.fill(0, rv, 0)
	return s
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
	return int32(first), true
}

// fill records v in node i.
func (w *walker) fill(i int32, v reflect.Value, depth int) {
	n := &w.s.nodes[i]
	if !v.IsValid() {
		n.kind = kNil
		return
	}
	t := v.Type()
	n.typ = w.typeIndex(t)
	if depth > w.lim.MaxDepth {
		n.kind = kTruncated
		if w.s.Truncated == "" {
			w.s.Truncated = fmt.Sprintf("stopped at depth %d", w.lim.MaxDepth)
		}
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		n.kind = kBool
		if v.Bool() {
			n.num = 1
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n.kind, n.num = kInt, uint64(loadInt(v))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n.kind, n.num = kUint, loadUint(v)
	case reflect.Float32, reflect.Float64:
		n.kind, n.num = kFloat, math.Float64bits(v.Float())
	case reflect.Complex64, reflect.Complex128:
		n.kind, n.str = kComplex, w.text(strconv.FormatComplex(v.Complex(), 'g', -1, 128))
	case reflect.String:
		n.kind, n.str = kString, w.text(v.String())
	case reflect.Pointer:
		if v.IsNil() {
			n.kind = kNil
			return
		}
		p := v.UnsafePointer()
		if w.seen(i, p, t, 0) {
			return
		}
		n.kind, n.num = kPtr, uint64(uintptr(p))
		w.children(i, 1, func(c int32) { w.fill(c, v.Elem(), depth+1) })
	case reflect.Interface:
		if v.IsNil() {
			n.kind = kNil
			return
		}
		n.kind = kIface
		w.children(i, 1, func(c int32) { w.fill(c, v.Elem(), depth+1) })
	case reflect.Struct:
		if info := &w.s.info[n.typ]; info.sp != spNone {
			w.special(i, v, info, depth)
			return
		}
		n.kind = kStruct
		w.children(i, v.NumField(), func(c int32) {
			for f := 0; f < v.NumField(); f++ {
				w.fill(c+int32(f), v.Field(f), depth+1)
			}
		})
	case reflect.Slice:
		if v.IsNil() {
			n.kind = kNil
			return
		}
		if t.Elem().Kind() == reflect.Uint8 {
			n.kind, n.str = kBytes, w.text(string(v.Bytes()))
			return
		}
		p := v.UnsafePointer()
		if v.Len() > 0 && w.seen(i, p, t, v.Len()) {
			return
		}
		n.kind, n.num = kSlice, uint64(uintptr(p))
		w.elems(i, v, depth)
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			b := make([]byte, v.Len())
			reflect.Copy(reflect.ValueOf(b), v)
			n.kind, n.str = kBytes, w.text(string(b))
			return
		}
		n.kind = kArray
		w.elems(i, v, depth)
	case reflect.Map:
		if v.IsNil() {
			n.kind = kNil
			return
		}
		p := v.UnsafePointer()
		if w.seen(i, p, t, 0) {
			return
		}
		n.kind, n.num = kMap, uint64(uintptr(p))
		w.children(i, v.Len(), func(c int32) { w.entries(i, c, v, depth) })
	case reflect.UnsafePointer:
		p := v.UnsafePointer()
		if v.CanAddr() { // perhaps stored with atomic.StorePointer
			p = atomic.LoadPointer((*unsafe.Pointer)(unsafe.Pointer(v.UnsafeAddr())))
		}
		if p == nil {
			n.kind = kNil
			return
		}
		n.kind, n.num = kOpaque, uint64(uintptr(p))
	case reflect.Func, reflect.Chan:
		if v.IsNil() {
			n.kind = kNil
			return
		}
		n.kind, n.num = kOpaque, uint64(v.Pointer())
	default:
		n.kind = kOpaque
	}
}

// entries records the entries of map m, node i, from node first on. Each
// key and value is copied into one reused Value rather than a new one per
// entry (MapIter.Key and Value allocate), which halves the cost of a map of
// strings.
func (w *walker) entries(i, first int32, m reflect.Value, depth int) {
	ro := !m.CanInterface()
	if ro {
		// Reached through an unexported field, m is read-only, and
		// SetIterKey refuses it: read the same map through a header that
		// is not marked so. Keys are still rendered as read-only.
		p := m.UnsafePointer()
		m = reflect.NewAt(m.Type(), unsafe.Pointer(&p)).Elem()
	}
	t := m.Type()
	key, val := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
	it := m.MapRange()
	want := w.s.nodes[i].n
	j := int32(0)
	for j < want && it.Next() {
		key.SetIterKey(it)
		val.SetIterValue(it)
		idx := first + j
		w.fill(idx, val, depth+1)
		k, isStr := renderKey(key, ro)
		w.s.nodes[idx].key, w.s.nodes[idx].keyStr = w.text(k), isStr
		j++
	}
	w.s.nodes[i].n = j // the map may have shrunk while we read it
}

func (w *walker) elems(i int32, v reflect.Value, depth int) {
	w.children(i, v.Len(), func(c int32) {
		for j := 0; j < v.Len(); j++ {
			w.fill(c+int32(j), v.Index(j), depth+1)
		}
	})
}

// children reserves k children for node i and fills them with fn. When the
// size limit is reached, node i is marked truncated instead.
func (w *walker) children(i int32, k int, fn func(first int32)) {
	first, ok := w.reserve(k)
	if !ok {
		w.s.nodes[i].kind = kTruncated
		return
	}
	w.s.nodes[i].first, w.s.nodes[i].n = first, int32(k)
	fn(first)
}

// seen records a pointer, map or slice (of length n) and reports whether it
// was met before; then node i becomes a reference to the first node, which
// breaks cycles. A reference is compared by the address it holds, which
// does not move when the values walked before it grow or shrink.
func (w *walker) seen(i int32, p unsafe.Pointer, t reflect.Type, n int) bool {
	k := visitKey{p, w.typeIndex(t), int32(min(n, math.MaxInt32))}
	if at, ok := w.visited[k]; ok {
		r := &w.s.nodes[i]
		r.kind, r.num, r.first, r.n = kRef, uint64(uintptr(p)), at, k.n
		return true
	}
	w.visited[k] = i
	return false
}

// special records in node i a value of package sync or sync/atomic. The
// program may be changing it while it is read: an atomic is read with its
// atomic load, a sync.Map through Range, and both only where they live
// (addressable). A copy, which no one else can change, is read plainly.
func (w *walker) special(i int32, v reflect.Value, info *typeInfo, depth int) {
	n := &w.s.nodes[i]
	switch info.sp {
	case spBool:
		n.kind = kBool
		if loadUint(v.Field(info.v)) != 0 {
			n.num = 1
		}
	case spInt:
		n.kind, n.num = kInt, uint64(loadInt(v.Field(info.v)))
	case spUint:
		n.kind, n.num = kUint, loadUint(v.Field(info.v))
	case spValue:
		var x reflect.Value
		if v.CanAddr() {
			x = reflect.ValueOf((*atomic.Value)(unsafe.Pointer(v.UnsafeAddr())).Load())
		} else {
			x = v.Field(info.v).Elem()
		}
		if !x.IsValid() {
			n.kind = kNil
			return
		}
		n.kind = kIface
		w.children(i, 1, func(c int32) { w.fill(c, x, depth+1) })
	case spPointer:
		var p unsafe.Pointer
		if v.CanAddr() {
			p = atomic.LoadPointer((*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(v.UnsafeAddr()), info.off)))
		} else {
			p = v.Field(info.v).UnsafePointer()
		}
		if p == nil {
			n.kind = kNil
			return
		}
		n.kind = kIface
		x := reflect.NewAt(info.elem.Elem(), p)
		w.children(i, 1, func(c int32) { w.fill(c, x, depth+1) })
	case spSyncMap:
		if !v.CanAddr() {
			n.kind = kOpaque
			return
		}
		w.syncMap(i, (*sync.Map)(unsafe.Pointer(v.UnsafeAddr())), depth)
	default:
		n.kind = kOpaque
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
	w.s.nodes[i].kind = kMap
	w.children(i, len(keys), func(first int32) {
		for j := range keys {
			idx := first + int32(j)
			w.fill(idx, reflect.ValueOf(vals[j]), depth+1)
			k, isStr := renderKey(reflect.ValueOf(keys[j]), false)
			w.s.nodes[idx].key, w.s.nodes[idx].keyStr = w.text(k), isStr
		}
	})
}

// loadInt reads a signed integer. One that lives in memory others can reach
// may be changed with sync/atomic (atomic.AddInt64(&s.n, 1)): it is loaded
// atomically, so that the snapshot does not race with a correct program.
func loadInt(v reflect.Value) int64 {
	switch v.Kind() {
	case reflect.Int32:
		if v.CanAddr() {
			return int64(atomic.LoadInt32((*int32)(unsafe.Pointer(v.UnsafeAddr()))))
		}
	case reflect.Int64:
		if v.CanAddr() {
			// Misaligned (on 32-bit platforms), no atomic can change it.
			if p := unsafe.Pointer(v.UnsafeAddr()); uintptr(p)%8 == 0 {
				return atomic.LoadInt64((*int64)(p))
			}
		}
	}
	return v.Int()
}

// loadUint is loadInt for unsigned integers.
func loadUint(v reflect.Value) uint64 {
	switch v.Kind() {
	case reflect.Uint32:
		if v.CanAddr() {
			return uint64(atomic.LoadUint32((*uint32)(unsafe.Pointer(v.UnsafeAddr()))))
		}
	case reflect.Uint64:
		if v.CanAddr() {
			if p := unsafe.Pointer(v.UnsafeAddr()); uintptr(p)%8 == 0 {
				return atomic.LoadUint64((*uint64)(p))
			}
		}
	case reflect.Uintptr:
		if v.CanAddr() {
			return uint64(atomic.LoadUintptr((*uintptr)(unsafe.Pointer(v.UnsafeAddr()))))
		}
	}
	return v.Uint()
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
