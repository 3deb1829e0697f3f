package vet

import (
	"go/constant"
	"go/token"
	"strings"

	"golang.org/x/tools/go/ssa"
)

// underTmp reports whether the path v is under the process temp dir: it is
// "/tmp" or starts with "/tmp/", is os.TempDir(), joins onto one of those,
// or is the empty string where os.CreateTemp and os.MkdirTemp take it to
// mean the temp dir.
func underTmp(v ssa.Value, emptyIsTmp bool) bool {
	seen := map[ssa.Value]bool{}
	var walk func(v ssa.Value, first bool) bool
	walk = func(v ssa.Value, first bool) bool {
		if seen[v] {
			return false
		}
		seen[v] = true
		switch v := v.(type) {
		case *ssa.Const:
			if v.Value == nil || v.Value.Kind() != constant.String {
				return false
			}
			s := constant.StringVal(v.Value)
			return (s == "" && emptyIsTmp && first) || s == "/tmp" || strings.HasPrefix(s, "/tmp/")
		case *ssa.BinOp:
			return v.Op == token.ADD && walk(v.X, false)
		case *ssa.Phi:
			for _, e := range v.Edges {
				if walk(e, first) {
					return true
				}
			}
		case *ssa.Call:
			switch calleeName(&v.Call) {
			case "os.TempDir":
				return true
			case "path/filepath.Join", "path.Join":
				if len(v.Call.Args) == 1 {
					if a := variadicFirst(v.Call.Args[0]); a != nil {
						return walk(a, false)
					}
				}
			}
		}
		return false
	}
	return walk(v, true)
}

// variadicFirst returns the first element stored into the slice a variadic
// call was given (filepath.Join(a, b) packs a and b into a new array).
func variadicFirst(v ssa.Value) ssa.Value {
	s, ok := v.(*ssa.Slice)
	if !ok {
		return nil
	}
	arr, ok := s.X.(*ssa.Alloc)
	if !ok || arr.Referrers() == nil {
		return nil
	}
	for _, r := range *arr.Referrers() {
		ia, ok := r.(*ssa.IndexAddr)
		if !ok || ia.Referrers() == nil {
			continue
		}
		if c, ok := ia.Index.(*ssa.Const); !ok || c.Int64() != 0 {
			continue
		}
		for _, rr := range *ia.Referrers() {
			if st, ok := rr.(*ssa.Store); ok && st.Addr == ia {
				return st.Val
			}
		}
	}
	return nil
}

// removed reports whether fn (or a closure it defers) removes what call
// created: os.Remove or os.RemoveAll of the same path, of the directory
// os.MkdirTemp returned, or of the Name() of the file os.CreateTemp
// returned. A temp file removed by the function that made it is not left
// behind (bench/bare's MkdirTemp then defer RemoveAll).
func removed(fn *ssa.Function, call ssa.CallInstruction, path ssa.Value) bool {
	made := map[ssa.Value]bool{path: true}
	if v := call.Value(); v != nil && v.Referrers() != nil {
		for _, r := range *v.Referrers() {
			if e, ok := r.(*ssa.Extract); ok && e.Index == 0 {
				made[e] = true
			}
		}
	}
	names := func(v ssa.Value, bound func(*ssa.FreeVar) ssa.Value) bool {
		v = through(v, bound)
		if made[v] || sameConst(v, path) {
			return true
		}
		if c, ok := v.(*ssa.Call); ok && calleeName(&c.Call) == "(*os.File).Name" && len(c.Call.Args) == 1 {
			return made[through(c.Call.Args[0], bound)]
		}
		return false
	}
	removes := func(f *ssa.Function, bound func(*ssa.FreeVar) ssa.Value) bool {
		for _, b := range f.Blocks {
			for _, instr := range b.Instrs {
				ci, ok := instr.(ssa.CallInstruction)
				if !ok || !removeCalls[calleeName(ci.Common())] || len(ci.Common().Args) != 1 {
					continue
				}
				if names(ci.Common().Args[0], bound) {
					return true
				}
			}
		}
		return false
	}
	if removes(fn, nil) {
		return true
	}
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			mc, ok := instr.(*ssa.MakeClosure)
			if !ok {
				continue
			}
			cl := mc.Fn.(*ssa.Function)
			bound := func(fv *ssa.FreeVar) ssa.Value {
				for i, f := range cl.FreeVars {
					if f == fv {
						return derefAlloc(mc.Bindings[i])
					}
				}
				return fv
			}
			if removes(cl, bound) {
				return true
			}
		}
	}
	return false
}

// through returns the value a closure's free variable stands for in the
// function that made the closure: a captured variable is read through its
// address (a load of the free variable).
func through(v ssa.Value, bound func(*ssa.FreeVar) ssa.Value) ssa.Value {
	if bound == nil {
		return v
	}
	if load, ok := v.(*ssa.UnOp); ok && load.Op == token.MUL {
		if fv, ok := load.X.(*ssa.FreeVar); ok {
			return bound(fv)
		}
	}
	if fv, ok := v.(*ssa.FreeVar); ok {
		return bound(fv)
	}
	return v
}

// derefAlloc returns the value last stored into a captured local: a
// closure captures a variable by its address.
func derefAlloc(v ssa.Value) ssa.Value {
	a, ok := v.(*ssa.Alloc)
	if !ok || a.Referrers() == nil {
		return v
	}
	for _, r := range *a.Referrers() {
		if st, ok := r.(*ssa.Store); ok && st.Addr == a {
			return st.Val
		}
	}
	return v
}

// sameConst reports whether a and b are the same string constant.
func sameConst(a, b ssa.Value) bool {
	ca, ok1 := a.(*ssa.Const)
	cb, ok2 := b.(*ssa.Const)
	if !ok1 || !ok2 || ca.Value == nil || cb.Value == nil {
		return false
	}
	return ca.Value.Kind() == constant.String && cb.Value.Kind() == constant.String && constant.StringVal(ca.Value) == constant.StringVal(cb.Value)
}
