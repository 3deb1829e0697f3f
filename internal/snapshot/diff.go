package snapshot

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Op is what happened at a path between two snapshots.
type Op string

// The operations Diff reports.
const (
	Added   Op = "added"
	Removed Op = "removed"
	Changed Op = "changed"
)

// SegKind is the kind of one step of a Path.
type SegKind uint8

// The kinds of steps.
const (
	Field SegKind = iota // a struct field, by name
	Index                // a slice or array element, in decimal
	Key                  // a map entry
)

// Seg is one step of a path. Field: a struct field's name. Index: a slice or
// array index in decimal. Key: a map key. For a string key, Text is the raw
// key and StringKey is true. Any other key is rendered in Go syntax, with its
// dynamic type where the map's key type is an interface, so that 1, int8(1)
// and uint(1) stay apart: 42, true, 1.5, int8(1),
// {IP:[4]uint8{1,2,3,4},Token:"x"}, and (*T)(0xc000012345) for a pointer or
// a channel, which are keys by identity. Keys that render alike (NaN keys,
// say) get a suffix "#0", "#1"... in the order of a digest of their entries'
// values, so that a map nobody changed gives the same paths in two
// snapshots.
type Seg struct {
	Kind      SegKind
	Text      string
	StringKey bool
}

// Path leads from the value given to Take to one of its parts.
type Path []Seg

// String renders p the way go-cmp does: .Cfg.Token, [3], ["user:42"],
// [int8(1)]. The root is "".
func (p Path) String() string {
	return p.Format(func(s Seg) string {
		if s.StringKey {
			return strconv.Quote(s.Text)
		}
		return s.Text
	})
}

// Format renders p as String does, but with key(seg) between the brackets
// of each Key step: a report can redact map keys, which may be the very
// secrets it must not print.
func (p Path) Format(key func(Seg) string) string {
	var b strings.Builder
	for _, s := range p {
		switch s.Kind {
		case Field:
			b.WriteByte('.')
			b.WriteString(s.Text)
		case Index:
			b.WriteByte('[')
			b.WriteString(s.Text)
			b.WriteByte(']')
		default:
			b.WriteByte('[')
			b.WriteString(key(s))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// hidden renders p with every map key as "?", for messages (Truncated,
// Skipped) that are logged as they are.
func hidden(p Path) string { return p.Format(func(Seg) string { return "?" }) }

// Value describes one node of a snapshot. Kind is one of "string", "bytes",
// "int", "uint", "float", "complex", "bool", "time", "nil", "map", "slice",
// "array", "struct", "opaque", "ref" or "skipped"; Type is the Go type
// (reflect.Type.String). Text is the raw string of a string or bytes, the
// strconv rendering of a number or a bool, the identity of an opaque value
// ("0xc000..." for one held by pointer, "" for one held by value), the path
// a ref refers back to, and for a time.Time its Unix seconds and nanoseconds
// and its location's name. Length is the length of a string, bytes, map,
// slice or array. Valid is false for the missing side of an added or removed
// path.
type Value struct {
	Valid            bool
	Kind, Type, Text string
	Length           int
}

// Change is one difference between two snapshots.
type Change struct {
	Op       Op
	Path     Path
	Old, New Value
}

// same reports whether two nodes at one path hold the same value. A skipped
// node holds whatever the other does: its lock being held says nothing of
// its contents. A container is a difference only by kind or type: the
// entries that make its length differ are reported one by one, unless a
// snapshot was cut short and may lack them.
func (d *differ) same(a, b *node) bool {
	switch {
	case a.kind == kSkipped || b.kind == kSkipped:
		return true
	case a.kind != b.kind || !sameType(a.typ, b.typ):
		return false
	case container(a.kind):
		return !d.truncated || a.length == b.length
	}
	return d.a.str(a.text) == d.b.str(b.text) && a.length == b.length
}

// sameType compares types by name, as Value.Type does: two types may have
// one name.
func sameType(a, b int32) bool { return a == b || typeName(a) == typeName(b) }

// Diff reports how b differs from a, in path order, at most max changes
// (max <= 0: all of them); more is true when there were more. An entry
// added or removed is reported once, at its path, and nothing under a
// parent that changed kind or type is reported but the parent. When either
// snapshot is truncated, only paths both hold are compared: what one lacks
// may simply not have been read.
func Diff(a, b *Snapshot, max int) (changes []Change, more bool) {
	if a == nil || b == nil {
		return nil, false
	}
	d := differ{a: a, b: b, truncated: a.Truncated != "" || b.Truncated != ""}
	d.node(root(a), root(b))
	// Only the changes are sorted, not the nodes: a diff costs what
	// changed, however large the value.
	sort.Slice(d.found, func(i, j int) bool { return d.found[i].key < d.found[j].key })
	if max > 0 && len(d.found) > max {
		d.found, more = d.found[:max], true
	}
	changes = make([]Change, len(d.found))
	for i, f := range d.found {
		changes[i] = f.c
		changes[i].Path = pathOf(f.key)
	}
	return changes, more
}

func root(s *Snapshot) int32 {
	if s.count == 0 {
		return -1
	}
	return 0
}

type found struct {
	key string
	c   Change
}

type differ struct {
	a, b      *Snapshot
	truncated bool
	found     []found
}

// node compares the nodes at one path, a's ia and b's ib; either may be
// missing (-1).
func (d *differ) node(ia, ib int32) {
	switch {
	case ia < 0 && ib < 0:
	case ib < 0:
		if na := d.a.at(ia); !d.truncated {
			d.found = append(d.found, found{d.a.str(na.key), Change{Op: Removed, Old: d.a.value(na)}})
		}
	case ia < 0:
		if nb := d.b.at(ib); !d.truncated {
			d.found = append(d.found, found{d.b.str(nb.key), Change{Op: Added, New: d.b.value(nb)}})
		}
	default:
		na, nb := d.a.at(ia), d.b.at(ib)
		if na.digest == nb.digest || na.kind == kSkipped || nb.kind == kSkipped {
			// The same subtree; or one whose lock was held, which says
			// nothing of what it holds.
			return
		}
		if !d.same(na, nb) {
			d.found = append(d.found, found{d.a.str(na.key), Change{Op: Changed, Old: d.a.value(na), New: d.b.value(nb)}})
		}
		if na.kind == nb.kind && sameType(na.typ, nb.typ) {
			d.children(na, nb)
		}
	}
}

// children pairs the children of two nodes: in step while their paths
// agree (struct fields, elements), then by path (map entries, which each
// walk meets in its own order).
func (d *differ) children(na, nb *node) {
	key := func(s *Snapshot, i int32) string { return s.str(s.at(i).key) }
	ca, cb := na.first, nb.first
	for ; ca >= 0 && cb >= 0 && key(d.a, ca) == key(d.b, cb); ca, cb = d.a.at(ca).next, d.b.at(cb).next {
		d.node(ca, cb)
	}
	if ca < 0 && cb < 0 {
		return
	}
	rest := make(map[string]int32, nb.length)
	for ; cb >= 0; cb = d.b.at(cb).next {
		rest[key(d.b, cb)] = cb
	}
	for ; ca >= 0; ca = d.a.at(ca).next {
		k := key(d.a, ca)
		c, ok := rest[k]
		if ok {
			delete(rest, k)
		} else {
			c = -1
		}
		d.node(ca, c)
	}
	for _, c := range rest {
		d.node(-1, c)
	}
}

// Strings yields every string and bytes leaf of the snapshot, and every
// string map key (with the path of its entry, before the entry's own value),
// in path order, until yield returns false. This is what a taint check
// searches for request data.
func (s *Snapshot) Strings(yield func(p Path, s string) bool) {
	var found []*node
	s.each(root(s), -1, func(n, parent *node) {
		if n.kind == kString || n.kind == kBytes || parent != nil && s.str(n.key)[parent.key.n] == 'S' {
			found = append(found, n)
		}
	})
	slices.SortFunc(found, func(x, y *node) int { return strings.Compare(s.str(x.key), s.str(y.key)) })
	for _, n := range found {
		p := pathOf(s.str(n.key))
		if l := len(p); l > 0 && p[l-1].Kind == Key && p[l-1].StringKey {
			if !yield(p, p[l-1].Text) {
				return
			}
		}
		if n.kind == kString || n.kind == kBytes {
			if !yield(p, s.str(n.text)) {
				return
			}
		}
	}
}

// each calls f for node i, its siblings after it and every node under
// them, with their parent.
func (s *Snapshot) each(i, parent int32, f func(n, parent *node)) {
	for ; i >= 0; i = s.at(i).next {
		var p *node
		if parent >= 0 {
			p = s.at(parent)
		}
		f(s.at(i), p)
		s.each(s.at(i).first, i, f)
	}
}

// Nodes reports how many nodes the snapshot holds.
func (s *Snapshot) Nodes() int { return s.count }
