package snapshot

import (
	"math"
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

// IsText reports whether the value is a string or bytes: the kind of value
// that carries request data.
func (v Value) IsText() bool { return v.Kind == "string" || v.Kind == "bytes" }

// Diff returns the changes from a to b, at most max of them (max <= 0: all)
// and whether more were left out. Both must be snapshots of the same
// variable.
func Diff(a, b *Snapshot, max int) (changes []Change, more bool) {
	d := &differ{a: a, b: b, max: max}
	if len(a.nodes) > 0 && len(b.nodes) > 0 {
		d.node(0, 0, nil)
	}
	return d.out, d.more
}

type differ struct {
	a, b *Snapshot
	max  int
	out  []Change
	more bool
}

// path is a lazily built path: labels are only rendered for changes.
type path struct {
	parent *path
	s      *Snapshot
	idx    int32  // the node the label refers to
	label  string // for struct fields and indices
	field  bool
}

func (p *path) String() string {
	var parts []string
	for q := p; q != nil; q = q.parent {
		n := &q.s.nodes[q.idx]
		switch {
		case q.label != "":
			parts = append(parts, q.label)
		case n.keyStr:
			parts = append(parts, "["+strconv.Quote(n.key)+"]")
		default:
			parts = append(parts, "["+n.key+"]")
		}
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString(parts[i])
	}
	return b.String()
}

func (d *differ) emit(c Change) bool {
	if d.max > 0 && len(d.out) >= d.max {
		d.more = true
		return false
	}
	d.out = append(d.out, c)
	return true
}

func (d *differ) full() bool { return d.max > 0 && len(d.out) >= d.max }

func pathString(p *path) string {
	if p == nil {
		return ""
	}
	return p.String()
}

func (d *differ) node(i, j int32, p *path) {
	if d.full() {
		d.more = true
		return
	}
	x, y := &d.a.nodes[i], &d.b.nodes[j]
	if x.kind != y.kind || x.typ != y.typ {
		d.emit(Change{Path: pathString(p), Op: Changed, Old: d.a.value(i), New: d.b.value(j)})
		return
	}
	switch x.kind {
	case kNil, kTruncated:
	case kBool, kInt, kUint, kFloat, kOpaque:
		if x.num != y.num {
			d.emit(Change{Path: pathString(p), Op: Changed, Old: d.a.value(i), New: d.b.value(j)})
		}
	case kString, kBytes, kComplex:
		if x.str != y.str {
			d.emit(Change{Path: pathString(p), Op: Changed, Old: d.a.value(i), New: d.b.value(j)})
		}
	case kRef:
		if x.num != y.num {
			d.emit(Change{Path: pathString(p), Op: Changed, Old: d.a.value(i), New: d.b.value(j)})
		}
	case kPtr, kIface:
		d.node(x.first, y.first, p)
	case kStruct:
		t := x.typ
		for f := int32(0); f < x.n && f < y.n; f++ {
			d.node(x.first+f, y.first+f, &path{parent: p, s: d.a, idx: x.first + f, label: "." + t.Field(int(f)).Name})
		}
	case kSlice, kArray:
		k := min(x.n, y.n)
		for e := int32(0); e < k; e++ {
			d.node(x.first+e, y.first+e, &path{parent: p, s: d.a, idx: x.first + e, label: "[" + strconv.Itoa(int(e)) + "]"})
		}
		for e := k; e < x.n; e++ {
			d.emit(Change{Path: pathString(&path{parent: p, s: d.a, idx: x.first + e, label: "[" + strconv.Itoa(int(e)) + "]"}), Op: Removed, Old: d.a.value(x.first + e)})
		}
		for e := k; e < y.n; e++ {
			d.emit(Change{Path: pathString(&path{parent: p, s: d.b, idx: y.first + e, label: "[" + strconv.Itoa(int(e)) + "]"}), Op: Added, New: d.b.value(y.first + e)})
		}
	case kMap:
		d.maps(x, y, p)
	}
}

type mapKey struct {
	key    string
	keyStr bool
}

func (d *differ) maps(x, y *node, p *path) {
	old := make(map[mapKey]int32, x.n)
	for e := x.first; e < x.first+x.n; e++ {
		n := &d.a.nodes[e]
		old[mapKey{n.key, n.keyStr}] = e
	}
	for e := y.first; e < y.first+y.n; e++ {
		n := &d.b.nodes[e]
		k := mapKey{n.key, n.keyStr}
		if o, ok := old[k]; ok {
			d.node(o, e, &path{parent: p, s: d.b, idx: e})
			delete(old, k)
			continue
		}
		d.emit(Change{Path: pathString(&path{parent: p, s: d.b, idx: e}), Op: Added, New: d.b.value(e)})
	}
	for e := x.first; e < x.first+x.n; e++ {
		n := &d.a.nodes[e]
		if _, ok := old[mapKey{n.key, n.keyStr}]; ok {
			d.emit(Change{Path: pathString(&path{parent: p, s: d.a, idx: e}), Op: Removed, Old: d.a.value(e)})
		}
	}
}

// value summarises node i.
func (s *Snapshot) value(i int32) Value {
	n := &s.nodes[i]
	v := Value{Valid: true, Length: -1}
	if n.typ != nil {
		v.Type = n.typ.String()
	}
	switch n.kind {
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
		v.Kind, v.Text = "complex", n.str
	case kString:
		v.Kind, v.Text, v.Length = "string", n.str, len(n.str)
	case kBytes:
		v.Kind, v.Text, v.Length = "bytes", n.str, len(n.str)
	case kPtr, kIface:
		inner := s.value(n.first)
		inner.Type = v.Type
		return inner
	case kStruct:
		v.Kind, v.Text = "struct", "{...}"
	case kSlice:
		v.Kind, v.Text, v.Length = "slice", "[...]", int(n.num)
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
	s.strings(0, nil, true, fn)
}

// Values is Strings without the map keys.
func (s *Snapshot) Values(fn func(path, value string) bool) {
	if len(s.nodes) == 0 {
		return
	}
	s.strings(0, nil, false, fn)
}

func (s *Snapshot) strings(i int32, p *path, keys bool, fn func(string, string) bool) bool {
	n := &s.nodes[i]
	switch n.kind {
	case kString, kBytes:
		return fn(pathString(p), n.str)
	case kPtr, kIface:
		return s.strings(n.first, p, keys, fn)
	case kStruct:
		for f := int32(0); f < n.n; f++ {
			if !s.strings(n.first+f, &path{parent: p, s: s, idx: n.first + f, label: "." + n.typ.Field(int(f)).Name}, keys, fn) {
				return false
			}
		}
	case kSlice, kArray:
		for e := int32(0); e < n.n; e++ {
			if !s.strings(n.first+e, &path{parent: p, s: s, idx: n.first + e, label: "[" + strconv.Itoa(int(e)) + "]"}, keys, fn) {
				return false
			}
		}
	case kMap:
		for e := n.first; e < n.first+n.n; e++ {
			c := &s.nodes[e]
			cp := &path{parent: p, s: s, idx: e}
			if keys && c.keyStr && !fn(pathString(cp), c.key) {
				return false
			}
			if !s.strings(e, cp, keys, fn) {
				return false
			}
		}
	}
	return true
}
