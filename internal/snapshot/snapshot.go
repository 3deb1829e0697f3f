package snapshot

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
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
	kPtr                   // one child
	kIface                 // one child: the dynamic value
	kStruct                // a child per field
	kSlice                 // a child per element; num = len
	kArray                 // a child per element
	kMap                   // a child per entry; each child's key holds its label
	kRef                   // a pointer already seen: num = index of its node
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
}

func (s *Snapshot) typeOf(n *node) reflect.Type { return s.types[n.typ] }
func (s *Snapshot) str(n *node) string          { return s.strs[n.str] }
func (s *Snapshot) key(n *node) string          { return s.strs[n.key] }

// Nodes reports how many values the snapshot recorded.
func (s *Snapshot) Nodes() int { return len(s.nodes) }

// visitKey is a pointer and its type's index: a struct and its first field
// share an address, not a type. An index hashes faster than a reflect.Type.
type visitKey struct {
	ptr unsafe.Pointer
	typ int32
}

type walker struct {
	s       *Snapshot
	lim     Limits
	visited map[visitKey]int32
	typeIdx map[reflect.Type]int32
	lastT   reflect.Type // the type met last and its index: most runs of
	lastI   int32        // nodes are elements of one slice or map
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
	s = &Snapshot{types: []reflect.Type{nil}}
	w := &walker{s: s, lim: lim, visited: make(map[visitKey]int32), typeIdx: make(map[reflect.Type]int32)}
	defer func() {
		if r := recover(); r != nil {
			s.Truncated = fmt.Sprintf("snapshot failed: %v", r)
		}
	}()
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		w.visited[visitKey{rv.UnsafePointer(), w.typeIndex(rv.Type())}] = 0
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

var (
	syncTypes = map[string]bool{
		"sync.Mutex": true, "sync.RWMutex": true, "sync.WaitGroup": true, "sync.Once": true,
		"sync.Cond": true, "sync.Pool": true, "sync.noCopy": true,
	}
)

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
		n.kind, n.num = kInt, uint64(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n.kind, n.num = kUint, v.Uint()
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
		if w.seen(i, v.UnsafePointer(), t) {
			return
		}
		n.kind = kPtr
		w.children(i, 1, func(c int32) { w.fill(c, v.Elem(), depth+1) })
	case reflect.Interface:
		if v.IsNil() {
			n.kind = kNil
			return
		}
		n.kind = kIface
		w.children(i, 1, func(c int32) { w.fill(c, v.Elem(), depth+1) })
	case reflect.Struct:
		if syncTypes[t.String()] {
			n.kind = kOpaque
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
		if v.Len() > 0 && w.seen(i, v.UnsafePointer(), t) {
			return
		}
		n.kind, n.num = kSlice, uint64(v.Len())
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
		if w.seen(i, v.UnsafePointer(), t) {
			return
		}
		n.kind = kMap
		w.children(i, v.Len(), func(c int32) { w.entries(i, c, v, depth) })
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
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

// seen records a pointer-like value and reports whether it was met before;
// then node i becomes a reference to the first node, which breaks cycles.
func (w *walker) seen(i int32, p unsafe.Pointer, t reflect.Type) bool {
	k := visitKey{p, w.typeIndex(t)}
	if at, ok := w.visited[k]; ok {
		w.s.nodes[i].kind, w.s.nodes[i].num = kRef, uint64(at)
		return true
	}
	w.visited[k] = i
	return false
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
// through an unexported field (where Interface panics, or would if ro).
func printable(k reflect.Value, ro bool) any {
	if !ro && k.CanInterface() {
		return k.Interface()
	}
	return k.String() // "<T Value>" for non-strings: still a stable label
}
