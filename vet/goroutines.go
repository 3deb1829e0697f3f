package vet

import (
	"go/token"
	"go/types"

	"golang.org/x/tools/go/ssa"
)

// joinable reports whether a goroutine could tell anyone it is done: it is
// given (as an argument, or captured by the function literal it runs) a
// channel, or a value with a Done method such as a *sync.WaitGroup. One
// given neither cannot be waited for, whatever its caller waits on.
func joinable(c *ssa.CallCommon) bool {
	vals := append([]ssa.Value(nil), c.Args...)
	if mc, ok := c.Value.(*ssa.MakeClosure); ok {
		vals = append(vals, mc.Bindings...)
	}
	if c.IsInvoke() || c.StaticCallee() == nil {
		vals = append(vals, c.Value) // a method value's receiver, a func value's closure
	}
	for _, v := range vals {
		if signals(v.Type()) {
			return true
		}
	}
	return false
}

// signals reports whether a value of type t can signal completion: a
// channel or a type with a Done method, a pointer to one (a captured
// variable is its address, a captured pointer a pointer to a pointer), or
// a struct holding one (a type whose methods start work and another method
// waits for it, as scope.Scope does).
func signals(t types.Type) bool {
	for range 3 {
		if signalsItself(t) {
			return true
		}
		if s, ok := t.Underlying().(*types.Struct); ok {
			for f := range s.Fields() {
				if signalsItself(f.Type()) {
					return true
				}
			}
		}
		p, ok := t.Underlying().(*types.Pointer)
		if !ok {
			return false
		}
		t = p.Elem()
	}
	return false
}

// signalsItself reports whether t is a channel or has a Done method
// (sync.WaitGroup's, not context.Context's, which only says a goroutine was
// asked to stop).
func signalsItself(t types.Type) bool {
	if _, ok := t.Underlying().(*types.Chan); ok {
		return true
	}
	if isNamed(t, "context", "Context") {
		return false
	}
	obj, _, _ := types.LookupFieldOrMethod(t, true, nil, "Done")
	_, isFunc := obj.(*types.Func)
	return isFunc
}

// waits reports whether fn blocks on anything that could join a goroutine:
// a channel receive, a select, or a Wait method (sync.WaitGroup,
// errgroup.Group). A goroutine started on a call path where no function
// waits for anything cannot have been joined; one where some function does
// is given the benefit of the doubt.
func waits(fn *ssa.Function) bool {
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			switch in := instr.(type) {
			case *ssa.UnOp:
				if in.Op == token.ARROW {
					return true
				}
			case *ssa.Select:
				return true
			case ssa.CallInstruction:
				c := in.Common()
				if c.IsInvoke() && c.Method.Name() == "Wait" {
					return true
				}
				if callee := c.StaticCallee(); callee != nil && shortName(funcName(callee)) == "Wait" {
					return true
				}
			}
		}
	}
	return false
}
