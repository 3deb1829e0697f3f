package snapshot

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// leaves has a field of every kind read as a leaf, exported or not, and
// slices and arrays of them.
type leaves struct {
	B    bool
	I    int
	I8   int8
	I16  int16
	I32  int32
	I64  int64
	U    uint
	U8   uint8
	U16  uint16
	U32  uint32
	U64  uint64
	Up   uintptr
	F32  float32
	F64  float64
	S    string
	C    complex128 // not a leaf: recorded as text
	i    int64
	s    string
	F32s []float32
	I16a [3]int16
	Ss   []string
	sa   [2]string
}

func someLeaves() leaves {
	return leaves{
		B: true, I: -1, I8: -8, I16: -16, I32: -32, I64: -64, U: 1, U8: 8, U16: 16, U32: 32, U64: 64, Up: 99,
		F32: 1.5, F64: -2.25, S: "s", C: 1 + 2i, i: 7, s: "private",
		F32s: []float32{0.5, -1}, I16a: [3]int16{1, -2, 3}, Ss: []string{"a", "b"}, sa: [2]string{"x", "y"},
	}
}

// Leaves read where they live (a struct behind a pointer) are recorded as
// those read through reflect.Value (a struct held by value, not
// addressable), and Same and Diff see a change to any of them.
func TestLeavesAsValues(t *testing.T) {
	x := someLeaves()
	byPtr, byVal := Take(&x, Limits{}), Take(x, Limits{})
	require.Empty(t, byPtr.Truncated)
	// The type tables differ: Take(&x) has *leaves first.
	require.Equal(t, len(byVal.nodes), len(byPtr.nodes))
	for i := range byVal.nodes {
		v, p := byVal.nodes[i], byPtr.nodes[i]
		assert.Equal(t, byVal.typeOf(&v), byPtr.typeOf(&p), "node %d", i)
		v.tk, p.tk = uint32(v.kind()), uint32(p.kind())
		assert.Equal(t, v, p, "node %d", i)
	}
	assert.Equal(t, byVal.strs, byPtr.strs)
	assert.True(t, byPtr.Same(&x))
	assert.True(t, byVal.Same(x))

	xv := reflect.ValueOf(&x).Elem()
	for f := range xv.NumField() {
		name := xv.Type().Field(f).Name
		for _, s := range []*Snapshot{byPtr, byVal} {
			y := someLeaves()
			y.F32s, y.Ss = append([]float32(nil), x.F32s...), append([]string(nil), x.Ss...)
			fv := reflect.NewAt(xv.Field(f).Type(), reflect.ValueOf(&y).Elem().Field(f).Addr().UnsafePointer()).Elem()
			switch fv.Kind() {
			case reflect.Slice, reflect.Array:
				fv = fv.Index(1)
				name += "[1]"
			}
			switch fv.Kind() {
			case reflect.Bool:
				fv.SetBool(!fv.Bool())
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				fv.SetInt(fv.Int() + 1)
			case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
				fv.SetUint(fv.Uint() + 1)
			case reflect.Float32, reflect.Float64:
				fv.SetFloat(fv.Float() + 1)
			case reflect.Complex128:
				fv.SetComplex(fv.Complex() + 1)
			case reflect.String:
				fv.SetString(fv.String() + "!")
			default:
				t.Fatalf("%s: %s", name, fv.Kind())
			}
			s2 := y
			var now any = &s2
			if s == byVal {
				now = s2
			}
			assert.False(t, s.Same(now), name)
			c, _ := Diff(s, Take(now, Limits{}), 0)
			assert.Equal(t, []string{"changed ." + name}, paths(c))
			name = xv.Type().Field(f).Name
		}
	}
}

// Past MaxDepth, a leaf is cut short as any other value.
func TestLeavesPastMaxDepth(t *testing.T) {
	type outer struct{ P *leaves }
	x := someLeaves()
	s := Take(&outer{P: &x}, Limits{MaxDepth: 2})
	assert.NotEmpty(t, s.Truncated)
	var st *node
	for i := range s.nodes {
		if s.nodes[i].kind() == kStruct && s.typeOf(&s.nodes[i]) == reflect.TypeFor[leaves]() {
			st = &s.nodes[i]
		}
	}
	require.NotNil(t, st)
	for f := range st.n {
		assert.Equal(t, kTruncated, s.nodes[st.first+f].kind(), "field %d", f)
	}
}
