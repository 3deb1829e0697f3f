package snapshot

import (
	"math/bits"
	"unsafe"
)

// visits is the set of the pointers, maps and slices a walk met, by the
// node each was met at. Most are met once, and in a large snapshot a hash
// table of them no longer fits in the processor's caches: each look-up
// would wait for memory. So a small filter (a blocked Bloom filter) tells
// first whether a key may have been met, and is nearly always sure it was
// not. Only then is an exact table looked at: the keys are split in parts
// by their hash, each logged, and a part's table is filled from its log
// when it is first looked at, so that the few parts a walk looks at cost
// a table. A slot holds half a hash and a node; the rest of a key is read
// from its node (its address, type and length).
type visits struct {
	filter []uint64 // a bit set of 32 bits a key, three bits set by each key
	fshift uint     // 64 - log2(len(filter))
	parts  []visitPart
	n      int // keys met
}

// visitPart is the keys whose hash, shifted by partShift, is its index
// (modulo the parts).
type visitPart struct {
	log     []int32  // their nodes, in the order met
	indexed int      // how many of log are in slots
	slots   []uint64 // the key's hash, high half; its node + 1, low half. 0: empty
	shift   uint     // 64 - log2(len(slots))
}

const (
	partShift = 18
	partKeys  = 128 // keys a part, about
	maxParts  = 4096
)

func hashVisit(p uint64, t, n int32) uint64 {
	h := p ^ uint64(uint32(t))<<40 ^ uint64(uint32(n))<<20
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// visitHash is the hash of the key of the visit recorded at node n.
func visitHash(n *node) uint64 {
	if n.kind() == kSlice {
		return hashVisit(n.num, n.typ(), n.n)
	}
	return hashVisit(n.num, n.typ(), 0)
}

// filterBits are the bits a key of hash h sets in its word of the filter.
func filterBits(h uint64) uint64 { return 1<<(h&63) | 1<<(h>>6&63) | 1<<(h>>12&63) }

func pow2(n int) (int, uint) {
	size := 64
	for size < n {
		size *= 2
	}
	return size, uint(64 - bits.TrailingZeros(uint(size)))
}

func (v *visits) part(h uint64) *visitPart { return &v.parts[h>>partShift&uint64(len(v.parts)-1)] }

// prefetch fetches the word of the filter add will read for a key of
// hash h (the parts are few enough to stay in the caches).
func (v *visits) prefetch(h uint64) {
	if len(v.filter) > 0 {
		prefetch(uintptr(unsafe.Pointer(v.word(h))))
	}
}

// word is the filter's word for a key of hash h.
func (v *visits) word(h uint64) *uint64 { return &v.filter[h>>v.fshift] }

// init makes room for n keys, those met so far (at nodes) among them.
func (v *visits) init(nodes []node, n int) {
	size, shift := pow2(n / 2)
	parts := 1
	for parts < maxParts && parts*partKeys < n {
		parts *= 2
	}
	if size <= len(v.filter) && parts <= len(v.parts) {
		return
	}
	if size < len(v.filter) {
		size, shift = len(v.filter), v.fshift
	}
	old := v.parts
	v.filter, v.fshift = make([]uint64, size), shift
	if parts > len(v.parts) {
		// One array holds every part's log; a part that outgrows its
		// share moves out.
		share := max(n/parts+n/parts/2, 8)
		logs := make([]int32, parts*share)
		v.parts = make([]visitPart, parts)
		for q := range v.parts {
			v.parts[q].log = logs[q*share : q*share : (q+1)*share]
		}
	}
	for q := range old {
		for _, i := range old[q].log {
			h := visitHash(&nodes[i])
			if len(old) != len(v.parts) {
				p := v.part(h)
				p.log = append(p.log, i)
			}
			*v.word(h) |= filterBits(h)
		}
	}
}

// reset empties the set and keeps its memory, for another walk.
func (v *visits) reset() {
	clear(v.filter)
	for q := range v.parts {
		p := &v.parts[q]
		clear(p.slots)
		p.log, p.indexed = p.log[:0], 0
	}
	v.n = 0
}

// index puts the nodes logged since the last time into the table.
func (p *visitPart) index(nodes []node) {
	if size, shift := pow2(2 * len(p.log)); size > len(p.slots) {
		p.slots, p.shift, p.indexed = make([]uint64, size), shift, 0
	}
	mask := uint64(len(p.slots) - 1)
	for _, i := range p.log[p.indexed:] {
		h := visitHash(&nodes[i])
		s := h >> p.shift
		for p.slots[s] != 0 {
			s = (s + 1) & mask
		}
		p.slots[s] = h&^(1<<32-1) | uint64(i+1)
	}
	p.indexed = len(p.log)
}

// add records the key (p, t, n) met at node i, unless it was met before:
// then it returns the node where. A node that no longer holds its key (a
// slice cut short by the size limit) is passed over.
func (v *visits) add(nodes []node, p unsafe.Pointer, t, n, i int32) (int32, bool) {
	if v.n >= 2*len(v.filter) {
		v.init(nodes, max(2*v.n, 64))
	}
	h := hashVisit(uint64(uintptr(p)), t, n)
	word, b := v.word(h), filterBits(h)
	part := v.part(h)
	if *word&b != b {
		*word |= b
		part.log = append(part.log, i)
		v.n++
		return 0, false
	}
	part.index(nodes)
	mask := uint64(len(part.slots) - 1)
	for s := h >> part.shift; part.slots[s] != 0; s = (s + 1) & mask {
		if e := part.slots[s]; e>>32 == h>>32 {
			at := int32(uint32(e) - 1)
			if visitHash(&nodes[at]) == h {
				if m := &nodes[at]; m.num == uint64(uintptr(p)) && m.typ() == t && (m.kind() != kSlice || m.n == n) {
					return at, true
				}
			}
		}
	}
	part.log = append(part.log, i)
	v.n++
	return 0, false
}
