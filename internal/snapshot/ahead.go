package snapshot

import (
	"math"
	"reflect"
	"sync/atomic"
	"unsafe"
)

// The entries of a large map of pointers are read ahead: aheadRing is how
// many are held at once, aheadInside how far ahead of the entry walked the
// fields of a value are read, aheadMin the size of a map worth it.
const (
	aheadRing   = 16
	aheadInside = 8
	aheadMin    = 64
)

// aheadPlan says what of a value of type *T the walk will read: the T, and
// the targets of its pointer, map, slice and interface fields, and the
// words of the filter of visits their addresses hash to. In a large map of
// pointers each entry's value is somewhere else in memory, and walking
// one would wait for memory several times (the struct, its slice, their
// words in the filter). Instead, the processor is asked to fetch the
// struct of an entry read ahead, and a few entries later, the struct being
// there by then, what its fields point to, while the entries before it
// are walked.
type aheadPlan struct {
	typ    int32 // *T's index
	size   uintptr
	fields []aheadField
}

type aheadField struct {
	off  uintptr
	typ  int32 // the field's type's index; 0 for an interface
	kind reflect.Kind
}

// aheadPlan returns the plan for values of the type at index t, or nil
// when the type is not a pointer worth fetching ahead.
func (w *walker) aheadPlan(t int32) *aheadPlan {
	if info := &w.s.info[t]; info.ahead != nil {
		if info.ahead.size == 0 {
			return nil
		}
		return info.ahead
	}
	p := &aheadPlan{typ: t}
	if pt := w.s.types[t]; pt.Kind() == reflect.Pointer {
		e := pt.Elem()
		p.size = e.Size()
		et := w.elemType(t)
		if e.Kind() == reflect.Struct && w.s.info[et].sp == spNone {
			fts := w.fieldTypes(et)
			p.fields = aheadFields(e, func(f int) int32 { return fts[f] })
		}
	}
	w.s.info[t].ahead = p
	if p.size == 0 {
		return nil
	}
	return p
}

// aheadFields lists the fields of struct type e that point somewhere; typ
// gives the index of field f's type.
func aheadFields(e reflect.Type, typ func(f int) int32) []aheadField {
	var fields []aheadField
	for f := range e.NumField() {
		sf := e.Field(f)
		switch k := sf.Type.Kind(); k {
		case reflect.Pointer, reflect.Map, reflect.Slice:
			fields = append(fields, aheadField{off: sf.Offset, typ: typ(f), kind: k})
		case reflect.Interface:
			fields = append(fields, aheadField{off: sf.Offset + unsafe.Sizeof(uintptr(0)), kind: k})
		}
	}
	return fields
}

// value fetches the T that v points to, and the word of the filter of
// visits (when vis is not nil) its address hashes to.
func (p *aheadPlan) value(vis *visits, v unsafe.Pointer) {
	if v != nil {
		prefetch(uintptr(v))
		if end := uintptr(v) + p.size - 1; end&^63 != uintptr(v)&^63 {
			prefetch(end) // the T spans two cache lines, or more
		}
		if vis != nil {
			vis.prefetch(hashVisit(uint64(uintptr(v)), p.typ, 0))
		}
	}
}

// inside fetches what the fields of the T that v points to point to, and
// (when vis is not nil) their words of the filter of visits. The words are
// loaded atomically, so as not to race with a program that changes them
// so.
func (p *aheadPlan) inside(vis *visits, v unsafe.Pointer) {
	if v == nil {
		return
	}
	for _, f := range p.fields {
		q := atomic.LoadPointer((*unsafe.Pointer)(unsafe.Add(v, f.off)))
		prefetch(uintptr(q))
		if vis == nil {
			continue
		}
		switch f.kind {
		case reflect.Pointer, reflect.Map:
			vis.prefetch(hashVisit(uint64(uintptr(q)), f.typ, 0))
		case reflect.Slice:
			n := atomic.LoadUintptr((*uintptr)(unsafe.Add(v, f.off+unsafe.Sizeof(q))))
			vis.prefetch(hashVisit(uint64(uintptr(q)), f.typ, int32(min(n, math.MaxInt32))))
		}
	}
}

// mapReader reads a map's entries into a ring of reused Values (MapIter.Key
// and Value would allocate one per entry, but for a pointer, which Value
// returns as is and is taken from it), ahead of the entry walked when a
// plan says what to fetch.
type mapReader struct {
	it    reflect.MapIter
	ring  [aheadRing]struct{ key, val reflect.Value }
	k     int // the ring's length in use: aheadRing with a plan, else 1
	plan  *aheadPlan
	limit int  // entries read at most
	read  int  // entries read so far
	ended bool // the iterator is exhausted: Next must not be called again
	ptrs  bool // the values are pointers
}

// start reads m (see readable) with plan, which may be nil, and fills the
// ring. vis, the walk's visits or nil, has its filter fetched too; it is
// passed to each call rather than kept in r, which the reflect calls
// would make escape, and the walker with it.
func (r *mapReader) start(m reflect.Value, plan *aheadPlan, vis *visits, limit int) {
	r.plan, r.limit, r.k = plan, limit, 1
	if plan != nil {
		r.k = aheadRing
	}
	t := m.Type()
	r.ptrs = t.Elem().Kind() == reflect.Pointer
	for q := range r.k {
		r.ring[q].key, r.ring[q].val = reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
	}
	r.it.Reset(m)
	for range r.k - 1 {
		r.next(vis)
	}
}

// next reads one more entry, and reports whether there was one.
func (r *mapReader) next(vis *visits) bool {
	if r.ended || r.read >= r.limit {
		return false
	}
	if !r.it.Next() {
		r.ended = true // the map shrank while it was read
		return false
	}
	e := &r.ring[r.read%r.k]
	e.key.SetIterKey(&r.it)
	if r.ptrs {
		e.val = r.it.Value() // a pointer is the Value's own word: no copy, no allocation
	} else {
		e.val.SetIterValue(&r.it)
	}
	if r.plan != nil {
		r.plan.value(vis, e.val.UnsafePointer())
	}
	r.read++
	return true
}

// entry returns entry j, reading it if need be, or nil when the map has
// no more (or limit were read). Before returning it reads one more ahead
// and fetches what an entry a little further on points to.
func (r *mapReader) entry(j int, vis *visits) *struct{ key, val reflect.Value } {
	if j >= r.read && !r.next(vis) {
		return nil
	}
	if r.plan != nil {
		r.next(vis)
		if a := j + aheadInside; a < r.read {
			r.plan.inside(vis, r.ring[a%r.k].val.UnsafePointer())
		}
	}
	return &r.ring[j%r.k]
}

// readable returns a map that SetIterKey accepts, and whether m was
// read-only: reached through an unexported field, m is, and SetIterKey
// refuses it, so the same map is read through a header not marked so.
// Its keys are still rendered as read-only.
func readable(m reflect.Value) (reflect.Value, bool) {
	if m.CanInterface() {
		return m, false
	}
	p := m.UnsafePointer()
	return reflect.NewAt(m.Type(), unsafe.Pointer(&p)).Elem(), true
}
