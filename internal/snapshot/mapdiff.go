package snapshot

import (
	"hash/maphash"
	"reflect"
	"unsafe"
)

// maps compares the entries of map x, of a, and map y, of b, matched by
// their rendered keys.
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
	// b's entries that are a's (kSame, Limits.Base) name their match:
	// their keys need not be looked at.
	based := d.b.base == d.a
	for e := 0; e < int(y.n); e++ {
		be := y.first + int32(e)
		if yn := &d.b.nodes[be]; based && yn.kind() == kSame {
			if o := int64(yn.num) - int64(x.first); o >= 0 && o < int64(n) && !seen[o] {
				shift = (int(o) - e%n + n) % n
				matched++
				seen[o] = true
				if d.full() {
					d.more = true // as node says of any entry past max
				}
				continue // it holds what a recorded (see node)
			}
		}
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
