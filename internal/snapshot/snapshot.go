package snapshot

import (
	"context"
	"fmt"
	"hash/maphash"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Options bound a snapshot and say which locks its caller holds.
type Options struct {
	MaxDepth int // path steps below the root (and pointers or interfaces in a row); 0: 32
	MaxNodes int // nodes walked; 0: 1<<20
	// Held are locks the caller holds while taking the snapshot (the
	// variable's own lock, given as guard.GuardedBy): a mutex field found
	// at one of these addresses is not TryLocked again.
	Held []sync.Locker
}

// Snapshot is what a value held at one moment: a node per part of it.
//
// A snapshot holds no pointer: its nodes refer to each other by index and
// to their paths and texts by place in blocks of bytes. The collector
// does not scan it, and the collector's scanning is what would otherwise
// make a snapshot of a large value cost more per part than one of a small.
type Snapshot struct {
	// Truncated says why the snapshot is incomplete: a depth or node
	// limit, or a panic the walk recovered from. "" when it is whole.
	Truncated string
	// Skipped are the paths (map keys shown as "?") of structs not read
	// because another goroutine held their lock.
	Skipped []string

	chunks [][]node // node i is chunks[i>>chunkBits][i&chunkMask]; 0 is the root
	count  int
	blocks [][]byte
}

// Nodes are kept in chunks that never move: growing one slice would copy
// them over and again. The first chunk starts small, for small values.
const (
	chunkBits = 10
	chunkMask = 1<<chunkBits - 1
)

func (s *Snapshot) at(i int32) *node { return &s.chunks[i>>chunkBits][i&chunkMask] }

func (s *Snapshot) push(n node) int32 {
	c := s.count >> chunkBits
	if c == len(s.chunks) {
		size := 1 << chunkBits
		if c == 0 {
			size = 16
		}
		s.chunks = append(s.chunks, make([]node, 0, size))
	}
	if len(s.chunks[c]) == cap(s.chunks[c]) {
		s.chunks[c] = slices.Grow(s.chunks[c], len(s.chunks[c]))
	}
	s.chunks[c] = append(s.chunks[c], n)
	s.count++
	return int32(s.count - 1)
}

// span is a string in a snapshot's blocks.
type span struct {
	block, off int32
	n          int
}

func (s *Snapshot) str(sp span) string {
	if sp.n == 0 {
		return ""
	}
	return unsafe.String(&s.blocks[sp.block][sp.off], sp.n)
}

// room returns the block with n bytes free at its end, a new one when the
// last has not. Blocks are never moved either; each is twice the last, up
// to 64 KiB, or as large as the string it is made for.
func (s *Snapshot) room(n int) (int32, []byte) {
	l := len(s.blocks)
	if l == 0 || cap(s.blocks[l-1])-len(s.blocks[l-1]) < n {
		size := 256
		if l > 0 {
			size = min(2*cap(s.blocks[l-1]), 64<<10)
		}
		s.blocks, l = append(s.blocks, make([]byte, 0, max(n, size))), l+1
	}
	return int32(l - 1), s.blocks[l-1]
}

// put copies a text into the blocks.
func (s *Snapshot) put(text string) span {
	if text == "" {
		return span{}
	}
	i, b := s.room(len(text))
	s.blocks[i] = append(b, text...)
	return span{i, int32(len(b)), len(text)}
}

// node is one part of the value. The nodes form a tree (first child, next
// sibling; -1 for none) that Diff walks in step with another snapshot's.
// Each node has a digest of its subtree: a subtree that did not change is
// passed over whole, so that a diff costs what changed, not what the value
// holds. A node's Path is not kept but decoded from its canonical path (see
// appendStep) when a change or a string is reported.
type node struct {
	key, text   span // the canonical path; Value.Text
	length      int
	digest      uint64
	first, next int32
	typ         int32 // Value.Type, by its index in typeNames
	kind        kind
}

// kind is a node's Value.Kind, in a byte.
type kind uint8

const (
	kString kind = iota
	kBytes
	kInt
	kUint
	kFloat
	kComplex
	kBool
	kTime
	kNil
	kMap
	kSlice
	kArray
	kStruct
	kOpaque
	kRef
	kSkipped
)

var kindNames = [...]string{"string", "bytes", "int", "uint", "float", "complex", "bool", "time",
	"nil", "map", "slice", "array", "struct", "opaque", "ref", "skipped"}

func container(k kind) bool { return k == kMap || k == kSlice || k == kArray || k == kStruct }

// typeNames are the names of the types met, by index: a node keeps an index,
// not a string, to stay free of pointers.
var typeNames = struct {
	sync.RWMutex
	names []string
}{names: []string{""}}

func typeName(i int32) string {
	typeNames.RLock()
	defer typeNames.RUnlock()
	return typeNames.names[i]
}

func (s *Snapshot) value(n *node) Value {
	return Value{Valid: true, Kind: kindNames[n.kind], Type: typeName(n.typ), Text: s.str(n.text), Length: n.length}
}

// seed is for the digests. Snapshots are compared within one process only.
var seed = maphash.MakeSeed()

// digestOf hashes a node, its full path included, without its children. A
// subtree's digest is the sum of its nodes': unordered, as a map's entries
// are walked in any order, yet telling what sits where. The parts are mixed
// (murmur3's finalizer) rather than added, lest the sum of two nodes equal
// that of the two with their values swapped.
func digestOf(key, text string, n *node) uint64 {
	d := uint64(n.length)<<40 | uint64(n.typ)<<8 | uint64(n.kind)
	for _, s := range [...]string{key, text} {
		d ^= maphash.String(seed, s)
		d = (d ^ d>>33) * 0xff51afd7ed558ccd
		d = (d ^ d>>33) * 0xc4ceb9fe1a85ec53
		d ^= d >> 33
	}
	return d
}

// Take snapshots the value ptr points to (any other value is walked as it
// is, but without its address the atomics and locks in it cannot be used).
// It never panics: a panic of the walk ends it, and Truncated says so.
func Take(ptr any, o Options) *Snapshot {
	if o.MaxDepth <= 0 {
		o.MaxDepth = 32
	}
	if o.MaxNodes <= 0 {
		o.MaxNodes = 1 << 20
	}
	w := &walker{
		s:        &Snapshot{},
		maxDepth: o.MaxDepth,
		maxNodes: o.MaxNodes,
		stack:    map[visit]string{},
		held:     map[unsafe.Pointer]bool{},
	}
	for _, l := range o.Held {
		if v := reflect.ValueOf(l); v.Kind() == reflect.Pointer && !v.IsNil() {
			w.held[v.UnsafePointer()] = true
		}
	}
	w.run(ptr)
	w.s.Truncated, w.s.Skipped = w.truncated, w.skipped
	return w.s
}

// run walks from ptr. A panic ends the walk (the locks it took are released
// on the way out) and is told in Truncated.
func (w *walker) run(ptr any) {
	defer func() {
		if r := recover(); r != nil {
			w.truncated = fmt.Sprintf("panic: %v", r)
		}
	}()
	if ptr == nil {
		w.add(span{}, -1, kNil, 0, "", 0)
		return
	}
	w.walk(reflect.ValueOf(ptr), span{}, -1, 0, 0)
}

// visit is a pointer, map or slice on the walk's stack. The type is part
// of it because a struct and its first field share an address; a slice's
// length too, because a shorter slice of the same array is another value.
type visit struct {
	p unsafe.Pointer
	t reflect.Type
	n int
}

type walker struct {
	s                  *Snapshot // being filled
	skipped            []string
	truncated          string
	n                  int // nodes walked, recorded or not (see digest)
	maxDepth, maxNodes int
	// stack holds the pointers, maps and slices being walked, with their
	// canonical paths. Only an ancestor becomes a ref: a value reached by
	// two paths is walked at both, so that what a path holds does not
	// depend on which path the walk (in random map order) took first.
	stack map[visit]string
	// held are the mutexes locked by the caller (Options.Held) or by the
	// walk itself, which a struct reached again must not try to lock.
	held map[unsafe.Pointer]bool
}

// add records a node under parent (-1: the root) and reports its index, or
// -1 when the walk stops. A leaf's digest goes to its parent at once, a
// container's when its children are done (seal).
func (w *walker) add(key span, parent int32, k kind, typ int32, text string, length int) int32 {
	if w.truncated != "" {
		return -1
	}
	s := w.s
	if w.n >= w.maxNodes {
		w.truncated = fmt.Sprintf("node limit %d reached at %s", w.maxNodes, hidden(pathOf(s.str(key))))
		return -1
	}
	w.n++
	n := node{key: key, length: length, first: -1, next: -1, typ: typ, kind: k}
	n.text = s.put(text)
	n.digest = digestOf(s.str(key), text, &n)
	if parent >= 0 {
		n.next = s.at(parent).first
	}
	i := s.push(n)
	if parent >= 0 {
		// Children come in reverse walk order, alike in every snapshot.
		s.at(parent).first = i
	}
	if !container(k) {
		w.seal(i, parent)
	}
	return i
}

func (w *walker) seal(i, parent int32) {
	if i >= 0 && parent >= 0 {
		w.s.at(parent).digest += w.s.at(i).digest
	}
}

// appendStep extends a canonical path by one step: a kind byte, then for
// an index its number of digits and its digits (indices sort as numbers),
// else the text with each NUL escaped as NUL 1, ended by NUL NUL. It is
// unambiguous, and a parent sorts before its children.
func appendStep(b []byte, s Seg) []byte {
	switch {
	case s.Kind == Index:
		return append(append(b, 'I', byte('a'+len(s.Text))), s.Text...)
	case s.Kind == Field:
		b = append(b, 'F')
	case s.StringKey:
		b = append(b, 'S')
	default:
		b = append(b, 'K')
	}
	for t := s.Text; ; {
		i := strings.IndexByte(t, 0)
		if i < 0 {
			return append(append(b, t...), 0, 0)
		}
		b, t = append(append(b, t[:i]...), 0, 1), t[i+1:]
	}
}

// childKey writes the canonical path of parent (which may lie in these
// blocks) extended by s.
func (w *walker) childKey(parent string, s Seg) span {
	i, b := w.s.room(len(parent) + 2*len(s.Text) + 4)
	start := len(b)
	w.s.blocks[i] = appendStep(append(b, parent...), s)
	return span{i, int32(start), len(w.s.blocks[i]) - start}
}

// pathOf decodes a canonical path (see appendStep). Its texts share the
// canonical path's memory unless they hold a NUL.
func pathOf(key string) Path {
	var p Path
	for i := 0; i < len(key); {
		kind := key[i]
		i++
		if kind == 'I' {
			n := int(key[i] - 'a')
			p = append(p, Seg{Kind: Index, Text: key[i+1 : i+1+n]})
			i += 1 + n
			continue
		}
		// An escaped NUL is followed by 1: the first NUL NUL ends the text.
		end := strings.Index(key[i:], "\x00\x00")
		text := key[i : i+end]
		if strings.IndexByte(text, 0) >= 0 {
			text = strings.ReplaceAll(text, "\x00\x01", "\x00")
		}
		seg := Seg{Kind: Key, Text: text, StringKey: kind == 'S'}
		if kind == 'F' {
			seg.Kind = Field
		}
		p = append(p, seg)
		i += end + 2
	}
	return p
}

// walk records v at the canonical path key, depth steps below the root,
// under parent. hops counts the pointers and interfaces passed since the
// last step: a chain of them adds no step, yet must not run forever.
func (w *walker) walk(v reflect.Value, key span, parent int32, depth, hops int) {
	if w.truncated != "" {
		return
	}
	if depth > w.maxDepth || hops > w.maxDepth {
		w.truncated = fmt.Sprintf("depth limit %d reached at %s", w.maxDepth, hidden(pathOf(w.s.str(key))))
		return
	}
	t := v.Type()
	ti := infoOf(t)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Chan, reflect.Func:
		if v.IsNil() {
			w.add(key, parent, kNil, ti.id, "", 0)
			return
		}
	case reflect.UnsafePointer:
		if loadPointer(v) == nil {
			w.add(key, parent, kNil, ti.id, "", 0)
			return
		}
	}
	switch ti.class {
	case cOpaque:
		w.add(key, parent, kOpaque, ti.id, identity(v), 0)
		return
	case cTime:
		w.add(key, parent, kTime, ti.id, timeText(v), 0)
		return
	case cAtomic:
		if v.CanAddr() {
			// By name, a constant: a call to Method(i) would make the linker
			// keep every exported method of every type in the binary.
			loaded := reflect.NewAt(t, unsafe.Pointer(v.UnsafeAddr())).MethodByName("Load").Call(nil)[0]
			w.walk(loaded, key, parent, depth, hops+1)
			return
		}
	case cBytes:
		b := bytesOf(v)
		w.add(key, parent, kBytes, ti.id, unsafe.String(unsafe.SliceData(b), len(b)), len(b))
		return
	}
	var buf [64]byte
	if k, text := scalar(buf[:0], v); k != kNil {
		w.add(key, parent, k, ti.id, unsafe.String(unsafe.SliceData(text), len(text)), 0)
		return
	}
	switch v.Kind() {
	case reflect.String:
		w.add(key, parent, kString, ti.id, v.String(), v.Len())
	case reflect.Interface:
		w.walk(v.Elem(), key, parent, depth, hops+1)
	case reflect.Pointer:
		if w.enter(v, visit{v.UnsafePointer(), t, 0}, key, parent) {
			w.walk(v.Elem(), key, parent, depth, hops+1)
			delete(w.stack, visit{v.UnsafePointer(), t, 0})
		}
	case reflect.Map:
		if w.enter(v, visit{v.UnsafePointer(), t, 0}, key, parent) {
			if m := w.add(key, parent, kMap, ti.id, "", v.Len()); m >= 0 {
				w.walkMap(v, m, depth)
				w.seal(m, parent)
			}
			delete(w.stack, visit{v.UnsafePointer(), t, 0})
		}
	case reflect.Slice:
		vis := visit{v.UnsafePointer(), t, v.Len()}
		if w.enter(v, vis, key, parent) {
			w.elems(v, kSlice, ti.id, key, parent, depth)
			delete(w.stack, vis)
		}
	case reflect.Array:
		w.elems(v, kArray, ti.id, key, parent, depth)
	case reflect.Struct:
		w.walkStruct(v, ti, key, parent, depth)
	default:
		w.add(key, parent, kOpaque, ti.id, identity(v), 0)
	}
}

// scalar appends a bool or a number to b the way strconv does (NaN as NaN,
// so that it equals itself), or reports kNil for any other kind.
func scalar(b []byte, v reflect.Value) (kind, []byte) {
	switch v.Kind() {
	case reflect.Bool:
		return kBool, strconv.AppendBool(b, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return kInt, strconv.AppendInt(b, loadInt(v), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return kUint, strconv.AppendUint(b, loadUint(v), 10)
	case reflect.Float32, reflect.Float64:
		return kFloat, strconv.AppendFloat(b, v.Float(), 'g', -1, v.Type().Bits())
	case reflect.Complex64, reflect.Complex128:
		return kComplex, append(b, strconv.FormatComplex(v.Complex(), 'g', -1, v.Type().Bits())...)
	}
	return kNil, b
}

// enter pushes a pointer, map or slice on the stack, or records a ref when
// it is there already: the walk has come back to an ancestor.
func (w *walker) enter(v reflect.Value, vis visit, key span, parent int32) bool {
	if at, ok := w.stack[vis]; ok {
		w.add(key, parent, kRef, infoOf(v.Type()).id, pathOf(at).String(), 0)
		return false
	}
	// The path, not its span: an entry walked aside for its digest has
	// blocks of its own.
	w.stack[vis] = w.s.str(key)
	return true
}

func (w *walker) elems(v reflect.Value, k kind, typ int32, key span, parent int32, depth int) {
	n := w.add(key, parent, k, typ, "", v.Len())
	if n < 0 {
		return
	}
	defer w.seal(n, parent)
	var digits [20]byte
	for i := range v.Len() {
		s := Seg{Kind: Index, Text: string(strconv.AppendInt(digits[:0], int64(i), 10))}
		w.walk(v.Index(i), w.childKey(w.s.str(key), s), n, depth+1, 0)
		if w.truncated != "" {
			return
		}
	}
}

// walkStruct reads a struct's fields. A struct with a mutex of its own
// (a direct sync.Mutex or sync.RWMutex field) is read under that mutex,
// taken with TryLock so that the walk never waits; when another goroutine
// holds it, the struct is skipped: reading it then would race with that
// goroutine. A struct that is not addressable is a copy (a map value, an
// interface's value) and is read as it is.
func (w *walker) walkStruct(v reflect.Value, ti *typeInfo, key span, parent int32, depth int) {
	if len(ti.locks) > 0 && v.CanAddr() {
		unlock, ok := w.lock(v, ti.locks)
		defer unlock()
		if !ok {
			if w.add(key, parent, kSkipped, ti.id, "", 0) >= 0 {
				w.skipped = append(w.skipped, hidden(pathOf(w.s.str(key))))
			}
			return
		}
	}
	n := w.add(key, parent, kStruct, ti.id, "", 0)
	if n < 0 {
		return
	}
	defer w.seal(n, parent)
	for i, f := range ti.fields {
		// Blank fields are padding no program reads; several in one
		// struct would share a path.
		if f != "_" {
			w.walk(v.Field(i), w.childKey(w.s.str(key), Seg{Kind: Field, Text: f}), n, depth+1, 0)
		}
	}
}

// lock takes a struct's mutexes that neither the caller nor the walk holds
// already. unlock releases what was taken, even when it did not all work.
func (w *walker) lock(v reflect.Value, locks []lockField) (unlock func(), ok bool) {
	var undo []func()
	unlock = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	for _, l := range locks {
		p := unsafe.Pointer(v.Field(l.index).UnsafeAddr())
		if w.held[p] {
			continue
		}
		try, release := (*sync.Mutex)(p).TryLock, (*sync.Mutex)(p).Unlock
		if l.rw {
			try, release = (*sync.RWMutex)(p).TryRLock, (*sync.RWMutex)(p).RUnlock
		}
		if !try() {
			return unlock, false
		}
		w.held[p] = true
		undo = append(undo, func() { delete(w.held, p); release() })
	}
	return unlock, true
}

// walkMap walks a map's entries in the order MapRange gives: paths do not
// depend on it. Only keys that render alike need an order of their own.
func (w *walker) walkMap(v reflect.Value, m int32, depth int) {
	it, t := v.MapRange(), v.Type()
	if t.Key().Kind() == reflect.String {
		// Distinct strings: no two keys render alike. A map reflect hands
		// over (not read through an unexported field) copies its entries
		// into one buffer rather than into a new copy each; not a value
		// holding a mutex, which must stay a copy that is not locked.
		var kb, vb reflect.Value
		if v.CanInterface() {
			kb = reflect.New(t.Key()).Elem()
			if !infoOf(t.Elem()).locked {
				vb = reflect.New(t.Elem()).Elem()
			}
		}
		for it.Next() && w.truncated == "" {
			k, e := kb, vb
			if k.IsValid() {
				k.SetIterKey(it)
			} else {
				k = it.Key()
			}
			if e.IsValid() {
				e.SetIterValue(it)
			} else {
				e = it.Value()
			}
			w.entry(e, m, depth, Seg{Kind: Key, Text: k.String(), StringKey: true})
		}
		return
	}
	type entry struct {
		v      reflect.Value
		seg    Seg
		digest uint64
	}
	var ents []entry
	count := map[Seg]int{}
	for it.Next() {
		s := keySeg(it.Key())
		ents = append(ents, entry{v: it.Value(), seg: s})
		count[s]++
	}
	groups := map[Seg][]entry{}
	for _, e := range ents {
		if count[e.seg] > 1 {
			groups[e.seg] = append(groups[e.seg], e)
		} else {
			w.entry(e.v, m, depth, e.seg)
		}
	}
	for s, g := range groups {
		for i := range g {
			g[i].digest = w.digest(g[i].v, m, Seg{Kind: Key, Text: s.Text + "#"}, depth+1)
		}
		sort.SliceStable(g, func(i, j int) bool { return g[i].digest < g[j].digest })
		for i, e := range g {
			w.entry(e.v, m, depth, Seg{Kind: Key, Text: s.Text + "#" + strconv.Itoa(i)})
		}
	}
}

func (w *walker) entry(v reflect.Value, m int32, depth int, s Seg) {
	w.walk(v, w.childKey(w.s.str(w.s.at(m).key), s), m, depth+1, 0)
}

// digest walks an entry's value aside, into a snapshot of its own, for its
// subtree's digest: entries of keys that render alike are numbered in the
// order of their digests. The nodes walked count against MaxNodes, which
// bounds the work.
func (w *walker) digest(v reflect.Value, m int32, s Seg, depth int) uint64 {
	sub := *w
	sub.s, sub.skipped, sub.n, sub.maxNodes = &Snapshot{}, nil, 0, w.maxNodes-w.n
	sub.walk(v, sub.childKey(w.s.str(w.s.at(m).key), s), -1, depth, 0)
	w.n += sub.n
	if sub.truncated != "" && w.truncated == "" {
		w.truncated = sub.truncated
	}
	if sub.s.count == 0 {
		return 0
	}
	return sub.s.at(0).digest
}

// keySeg renders a map key (see Seg).
func keySeg(k reflect.Value) Seg {
	dyn := false
	if k.Kind() == reflect.Interface {
		if k.IsNil() {
			return Seg{Kind: Key, Text: "nil"}
		}
		k, dyn = k.Elem(), true
	}
	if k.Kind() == reflect.String && (!dyn || k.Type() == stringType) {
		return Seg{Kind: Key, Text: k.String(), StringKey: true}
	}
	var b strings.Builder
	render(&b, k, dyn)
	return Seg{Kind: Key, Text: b.String()}
}

// render writes v in Go syntax, with its type where dyn (its static type
// is an interface) and the literal alone would not tell it.
func render(b *strings.Builder, v reflect.Value, dyn bool) {
	t := v.Type()
	switch k := v.Kind(); k {
	case reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
		} else {
			render(b, v.Elem(), true)
		}
	case reflect.Pointer, reflect.Chan, reflect.UnsafePointer:
		fmt.Fprintf(b, "(%s)(%#x)", t, v.Pointer())
	case reflect.Struct, reflect.Array:
		if dyn || k == reflect.Array {
			b.WriteString(t.String())
		}
		b.WriteByte('{')
		sep := ""
		if k == reflect.Array {
			for i := range v.Len() {
				b.WriteString(sep)
				render(b, v.Index(i), false)
				sep = ","
			}
		} else {
			for i := range v.NumField() {
				// Blank fields are no part of a key: Go compares keys
				// without them.
				if name := t.Field(i).Name; name != "_" {
					b.WriteString(sep + name + ":")
					render(b, v.Field(i), false)
					sep = ","
				}
			}
		}
		b.WriteByte('}')
	case reflect.String:
		literal(b, t, strconv.Quote(v.String()), dyn && t != stringType)
	default:
		_, s := scalar(nil, v)
		literal(b, t, string(s), dyn && t != intType && t != boolType)
	}
}

func literal(b *strings.Builder, t reflect.Type, s string, typed bool) {
	if typed {
		s = t.String() + "(" + s + ")"
	}
	b.WriteString(s)
}

var (
	boolType   = reflect.TypeFor[bool]()
	intType    = reflect.TypeFor[int]()
	stringType = reflect.TypeFor[string]()
	timeType   = reflect.TypeFor[time.Time]()
	ctxType    = reflect.TypeFor[context.Context]()
	mutexType  = reflect.TypeFor[sync.Mutex]()
	rwType     = reflect.TypeFor[sync.RWMutex]()
)

// identity is what an opaque value is compared by: its address when it has
// one of its own, else nothing (a sync.Mutex held by value is no data).
func identity(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Chan, reflect.Func, reflect.Map, reflect.Slice:
		return "0x" + strconv.FormatUint(uint64(v.Pointer()), 16)
	case reflect.UnsafePointer:
		return "0x" + strconv.FormatUint(uint64(uintptr(loadPointer(v))), 16)
	}
	return ""
}

// loadPointer reads an unsafe.Pointer, atomically where it lives in memory:
// a program may store it with atomic.StorePointer.
func loadPointer(v reflect.Value) unsafe.Pointer {
	if v.CanAddr() {
		return atomic.LoadPointer((*unsafe.Pointer)(unsafe.Pointer(v.UnsafeAddr())))
	}
	return v.UnsafePointer()
}

// loadInt and loadUint read an integer that lives in memory with an atomic
// load: a program may update a plain integer with sync/atomic functions,
// and a plain read would race with it.
func loadInt(v reflect.Value) int64 {
	if v.CanAddr() {
		p := unsafe.Pointer(v.UnsafeAddr())
		switch size := v.Type().Size(); {
		case size == 8 && uintptr(p)%8 == 0:
			return atomic.LoadInt64((*int64)(p))
		case size == 4 && uintptr(p)%4 == 0:
			return int64(atomic.LoadInt32((*int32)(p)))
		}
	}
	return v.Int()
}

func loadUint(v reflect.Value) uint64 {
	if v.CanAddr() {
		p := unsafe.Pointer(v.UnsafeAddr())
		switch size := v.Type().Size(); {
		case size == 8 && uintptr(p)%8 == 0:
			return atomic.LoadUint64((*uint64)(p))
		case size == 4 && uintptr(p)%4 == 0:
			return uint64(atomic.LoadUint32((*uint32)(p)))
		}
	}
	return v.Uint()
}

func bytesOf(v reflect.Value) []byte {
	if v.Kind() == reflect.Slice || v.CanAddr() {
		return v.Bytes()
	}
	b := make([]byte, v.Len())
	for i := range b {
		b[i] = byte(v.Index(i).Uint())
	}
	return b
}

// timeText renders a time.Time by its instant and its location's name, not
// by its fields: the monotonic reading and the *time.Location that
// time.Local fills in lazily are no change of the time it holds. Seconds
// and nanoseconds rather than UnixNano, which overflows outside 1678-2262
// (the zero Time among them).
func timeText(v reflect.Value) string {
	var t time.Time
	switch {
	case v.CanAddr():
		t = *(*time.Time)(unsafe.Pointer(v.UnsafeAddr()))
	case v.CanInterface():
		t = v.Interface().(time.Time)
	case !copyPlain(unsafe.Pointer(&t), v):
		return ""
	}
	return fmt.Sprintf("%d.%09d %s", t.Unix(), t.Nanosecond(), t.Location())
}

// copyPlain copies a value read through an unexported field (which
// reflect will not hand over as it is) into memory at dst, field by field:
// integers and pointers only, as in a time.Time.
func copyPlain(dst unsafe.Pointer, v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		reflect.NewAt(v.Type(), dst).Elem().SetInt(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		reflect.NewAt(v.Type(), dst).Elem().SetUint(v.Uint())
	case reflect.Pointer:
		*(*unsafe.Pointer)(dst) = v.UnsafePointer()
	case reflect.Struct:
		for i := range v.NumField() {
			if !copyPlain(unsafe.Add(dst, v.Type().Field(i).Offset), v.Field(i)) {
				return false
			}
		}
	default:
		return false
	}
	return true
}

// How the walk reads a value of some type.
type class uint8

const (
	cPlain  class = iota
	cOpaque       // compared by identity, never entered
	cTime         // time.Time: a leaf
	cAtomic       // a sync/atomic type: read with its Load method
	cBytes        // []byte or [N]byte: a leaf
)

type typeInfo struct {
	class  class
	id     int32       // in typeNames
	fields []string    // struct: the fields' names
	locks  []lockField // struct: its sync.Mutex and sync.RWMutex fields
	locked bool        // it holds a sync.Mutex or RWMutex, not behind a pointer
}

type lockField struct {
	index int
	rw    bool
}

// opaquePkgs hold types whose state another lock protects (sync), or that
// stand for things outside the process (files, connections, clients,
// loggers, readers): the walk never enters their structs. Their plain data
// types (os.FileMode, net.IP, http.Header, time.Month) are walked.
var opaquePkgs = map[string]bool{
	"sync": true, "internal/sync": true, "os": true, "net": true, "net/http": true,
	"database/sql": true, "crypto/tls": true, "reflect": true, "runtime": true,
	"log": true, "log/slog": true, "testing": true, "io": true, "bufio": true, "time": true,
}

var infos sync.Map // reflect.Type → *typeInfo

func infoOf(t reflect.Type) *typeInfo {
	if ti, ok := infos.Load(t); ok {
		return ti.(*typeInfo)
	}
	ti, _ := infos.LoadOrStore(t, classify(t))
	return ti.(*typeInfo)
}

func classify(t reflect.Type) *typeInfo {
	typeNames.Lock()
	ti := &typeInfo{id: int32(len(typeNames.names))}
	typeNames.names = append(typeNames.names, t.String())
	typeNames.Unlock()
	k := t.Kind()
	base := t
	if k == reflect.Pointer {
		base = t.Elem()
	}
	switch {
	case k == reflect.Interface:
	case k == reflect.Chan || k == reflect.Func || k == reflect.UnsafePointer:
		ti.class = cOpaque
	case t == timeType:
		ti.class = cTime
	case t.Implements(ctxType) || (k != reflect.Pointer && reflect.PointerTo(t).Implements(ctxType)):
		// A context is shared with goroutines that derive from it and
		// cancel it, under its own lock.
		ti.class = cOpaque
	case base.Kind() == reflect.Struct && base != timeType && opaquePkgs[base.PkgPath()]:
		ti.class = cOpaque
	case k == reflect.Struct && t.PkgPath() == "sync/atomic":
		if m, ok := reflect.PointerTo(t).MethodByName("Load"); ok && m.Type.NumIn() == 1 && m.Type.NumOut() == 1 {
			ti.class = cAtomic
		}
	case (k == reflect.Slice || k == reflect.Array) && t.Elem().Kind() == reflect.Uint8:
		ti.class = cBytes
	}
	switch k {
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			ti.fields = append(ti.fields, f.Name)
			if f.Type == mutexType || f.Type == rwType {
				ti.locks = append(ti.locks, lockField{index: i, rw: f.Type == rwType})
			}
			ti.locked = ti.locked || f.Type == mutexType || f.Type == rwType || infoOf(f.Type).locked
		}
	case reflect.Array:
		ti.locked = infoOf(t.Elem()).locked
	}
	return ti
}
