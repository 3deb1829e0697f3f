package snapshot

import (
	"math"
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"
)

// A leaf is a bool, a number or a string: a value that is one node with
// no children. The fields of a struct, and the elements of a slice or an
// array, that are leaves are read straight from memory where they live
// (addressable), rather than each through a reflect.Value of its own and
// fill's or same's dispatch on its kind: the same words read the same way
// (atomically where fill and same do), recorded in the same node.

// leafField is where a struct's field lives in it, and its kind when it is
// a leaf (else reflect.Invalid).
type leafField struct {
	off  uintptr
	kind reflect.Kind
}

// isLeaf reports the kinds read as leaves. Complex numbers are not: they
// are recorded as text.
func isLeaf(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// leafPlans holds the fields of the struct types met, by type: worked out
// once in a process, so that a walk does not allocate them again.
var leafPlans sync.Map // reflect.Type -> []leafField

// leafFields returns, by field of struct type t, its offset and whether it
// is a leaf.
func leafFields(t reflect.Type) []leafField {
	if p, ok := leafPlans.Load(t); ok {
		return p.([]leafField)
	}
	p := make([]leafField, t.NumField())
	for f := range p {
		sf := t.Field(f)
		p[f].off = sf.Offset
		if isLeaf(sf.Type.Kind()) {
			p[f].kind = sf.Type.Kind()
		}
	}
	q, _ := leafPlans.LoadOrStore(t, p)
	return q.([]leafField)
}

// leafNum reads the leaf of kind k (not a string) at p, which lives where
// the program may change it, and returns the node's kind and num for it.
// Integers of the sizes sync/atomic changes are loaded atomically (an int64
// only where it is aligned: misaligned, on 32-bit platforms, no atomic can
// change it). fill reads addressable integers through it too (loadInt,
// loadUint).
func leafNum(p unsafe.Pointer, k reflect.Kind) (kind, uint64) {
	switch k {
	case reflect.Bool:
		if *(*bool)(p) {
			return kBool, 1
		}
		return kBool, 0
	case reflect.Int:
		return kInt, uint64(*(*int)(p))
	case reflect.Int8:
		return kInt, uint64(int64(*(*int8)(p)))
	case reflect.Int16:
		return kInt, uint64(int64(*(*int16)(p)))
	case reflect.Int32:
		return kInt, uint64(int64(atomic.LoadInt32((*int32)(p))))
	case reflect.Int64:
		if uintptr(p)%8 == 0 {
			return kInt, uint64(atomic.LoadInt64((*int64)(p)))
		}
		return kInt, uint64(*(*int64)(p))
	case reflect.Uint:
		return kUint, uint64(*(*uint)(p))
	case reflect.Uint8:
		return kUint, uint64(*(*uint8)(p))
	case reflect.Uint16:
		return kUint, uint64(*(*uint16)(p))
	case reflect.Uint32:
		return kUint, uint64(atomic.LoadUint32((*uint32)(p)))
	case reflect.Uint64:
		if uintptr(p)%8 == 0 {
			return kUint, atomic.LoadUint64((*uint64)(p))
		}
		return kUint, *(*uint64)(p)
	case reflect.Uintptr:
		return kUint, uint64(atomic.LoadUintptr((*uintptr)(p)))
	case reflect.Float32:
		return kFloat, math.Float64bits(float64(*(*float32)(p)))
	case reflect.Float64:
		return kFloat, math.Float64bits(*(*float64)(p))
	}
	panic("not a leaf: " + k.String())
}

// leaf records in node i the leaf of kind k at p, of the type at index ti.
func (w *walker) leaf(i int32, p unsafe.Pointer, k reflect.Kind, ti int32) {
	if k == reflect.String {
		s := w.text(*(*string)(p))
		n := &w.s.nodes[i]
		n.tk = uint32(ti)<<typeShift | uint32(kString)
		n.num = s
		return
	}
	kd, num := leafNum(p, k)
	n := &w.s.nodes[i]
	n.tk = uint32(ti)<<typeShift | uint32(kd)
	n.num = num
}

// leaf compares node i with the leaf of kind k at p.
func (c *comparer) leaf(i int32, p unsafe.Pointer, k reflect.Kind) bool {
	n := &c.s.nodes[i]
	if k == reflect.String {
		return n.kind() == kString && c.s.str(n) == *(*string)(p)
	}
	kd, num := leafNum(p, k)
	return n.kind() == kd && n.num == num
}
