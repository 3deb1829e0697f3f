package vet

import (
	"go/token"

	"golang.org/x/tools/go/ssa"
)

// A root is where the memory a value addresses (or reaches through
// pointers) comes from, as far as one function can tell: a package-level
// variable, one of the function's parameters, or one of a closure's free
// variables. Memory the function allocated itself has no root.
type root struct {
	global *ssa.Global // set for a package-level variable
	param  int         // index in Function.Params, or -1
	free   int         // index in Function.FreeVars, or -1
}

// rootsOf returns the roots of v: every package-level variable, parameter
// and free variable whose memory v may point into, following field and
// element selection, loads (a pointer read from a variable reaches what the
// variable reaches), conversions and phi nodes. A value computed by a call
// has no root: the analysis does not follow results back into callees.
func rootsOf(v ssa.Value) []root {
	var out []root
	seen := map[ssa.Value]bool{}
	var walk func(v ssa.Value)
	walk = func(v ssa.Value) {
		if v == nil || seen[v] {
			return
		}
		seen[v] = true
		switch v := v.(type) {
		case *ssa.Global:
			out = append(out, root{global: v, param: -1, free: -1})
		case *ssa.Parameter:
			fn := v.Parent()
			for i, p := range fn.Params {
				if p == v {
					out = append(out, root{param: i, free: -1})
				}
			}
		case *ssa.FreeVar:
			fn := v.Parent()
			for i, fv := range fn.FreeVars {
				if fv == v {
					out = append(out, root{param: -1, free: i})
				}
			}
		case *ssa.FieldAddr:
			walk(v.X)
		case *ssa.IndexAddr:
			walk(v.X)
		case *ssa.Field:
			walk(v.X)
		case *ssa.Index:
			walk(v.X)
		case *ssa.Lookup:
			walk(v.X)
		case *ssa.Slice:
			walk(v.X)
		case *ssa.SliceToArrayPointer:
			walk(v.X)
		case *ssa.UnOp:
			if v.Op == token.MUL {
				walk(v.X)
			}
		case *ssa.ChangeType:
			walk(v.X)
		case *ssa.Convert:
			walk(v.X)
		case *ssa.MakeInterface:
			walk(v.X)
		case *ssa.ChangeInterface:
			walk(v.X)
		case *ssa.TypeAssert:
			walk(v.X)
		case *ssa.Extract:
			switch t := v.Tuple.(type) {
			case *ssa.Lookup, *ssa.TypeAssert:
				walk(t)
			}
		case *ssa.Phi:
			for _, e := range v.Edges {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}
