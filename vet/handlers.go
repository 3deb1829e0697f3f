package vet

import (
	"go/token"
	"go/types"

	"golang.org/x/tools/go/ssa"
)

// A handler is a function the package hands to one of the entry points:
// what runs once per invocation. free and params say which of its free
// variables and parameters are state that outlives the invocation: a
// closure's captured variables were made before it first ran, a handler
// method's receiver lives as long as the handler.
type handler struct {
	fn     *ssa.Function
	free   []*state
	params []*state
}

// state is memory that outlives an invocation, described for a finding.
type state struct{ desc string }

// findHandlers returns the handlers the package's functions pass to the
// entry points, in source order, each once.
func findHandlers(funcs []*ssa.Function) []*handler {
	var out []*handler
	seen := map[*ssa.Function]bool{}
	for _, fn := range funcs {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				ci, ok := instr.(ssa.CallInstruction)
				if !ok {
					continue
				}
				c := ci.Common()
				entry, ok := handlerEntries[calleeName(c)]
				if !ok || entry.index >= len(c.Args) {
					continue
				}
				for _, h := range resolveHandler(fn.Prog, c.Args[entry.index], entry.kind, map[ssa.Value]bool{}) {
					if !seen[h.fn] {
						seen[h.fn] = true
						out = append(out, h)
					}
				}
			}
		}
	}
	return out
}

// resolveHandler returns the handlers v may be: a function, a closure, a
// method value, a value whose Invoke or ServeHTTP method handles the
// invocation, or what a function of the package returns (a handler built by
// a constructor).
func resolveHandler(prog *ssa.Program, v ssa.Value, kind handlerKind, seen map[ssa.Value]bool) []*handler {
	if seen[v] {
		return nil
	}
	seen[v] = true
	switch v := v.(type) {
	case *ssa.Function:
		if kind != handlerInvoke && kind != handlerServe && hasBody(v) {
			return []*handler{{fn: v, params: make([]*state, len(v.Params))}}
		}
	case *ssa.MakeClosure:
		fn, ok := v.Fn.(*ssa.Function)
		if !ok || !hasBody(fn) || kind == handlerInvoke || kind == handlerServe {
			return nil
		}
		h := &handler{fn: fn, params: make([]*state, len(fn.Params)), free: make([]*state, len(fn.FreeVars))}
		for i, fv := range fn.FreeVars {
			if isBoundWrapper(fn) {
				h.free[i] = &state{desc: "the receiver of handler " + displayName(fn)}
			} else {
				h.free[i] = &state{desc: "variable " + fv.Name() + " captured by handler " + displayName(fn)}
			}
		}
		return []*handler{h}
	case *ssa.ChangeType:
		return resolveHandler(prog, v.X, kind, seen)
	case *ssa.Convert:
		return resolveHandler(prog, v.X, kind, seen)
	case *ssa.MakeInterface:
		if kind == handlerFuncAny || kind == handlerInvoke || kind == handlerServe {
			method := "Invoke"
			if kind == handlerServe {
				method = "ServeHTTP"
			}
			if h := methodHandler(prog, v.X.Type(), method); h != nil {
				return []*handler{h}
			}
			if kind == handlerFuncAny {
				kind = handlerFunc
			} else {
				// http.HandlerFunc(f), lambda.HandlerFunc: the method calls f.
				if _, isFunc := v.X.Type().Underlying().(*types.Signature); !isFunc {
					return nil
				}
				kind = handlerFunc
			}
		}
		return resolveHandler(prog, v.X, kind, seen)
	case *ssa.Phi:
		var out []*handler
		for _, e := range v.Edges {
			out = append(out, resolveHandler(prog, e, kind, seen)...)
		}
		return out
	case *ssa.UnOp:
		// A handler kept in a package-level variable: what is stored there.
		// A global has no referrers: its initializer is in the package's
		// init function.
		g, ok := v.X.(*ssa.Global)
		if !ok || v.Op != token.MUL || g.Pkg == nil || g.Pkg.Func("init") == nil {
			return nil
		}
		var out []*handler
		for _, b := range g.Pkg.Func("init").Blocks {
			for _, instr := range b.Instrs {
				if st, ok := instr.(*ssa.Store); ok && st.Addr == g {
					out = append(out, resolveHandler(prog, st.Val, kind, seen)...)
				}
			}
		}
		return out
	case *ssa.Call:
		callee := v.Call.StaticCallee()
		if !hasBody(callee) {
			// A wrapper from another package (otellambda.InstrumentHandler,
			// a middleware): the functions it is given are the handler.
			var out []*handler
			for _, a := range v.Call.Args {
				if _, isFunc := a.Type().Underlying().(*types.Signature); isFunc {
					out = append(out, resolveHandler(prog, a, handlerFunc, seen)...)
				} else if types.IsInterface(a.Type()) {
					out = append(out, resolveHandler(prog, a, handlerFuncAny, seen)...)
				}
			}
			return out
		}
		var out []*handler
		for _, b := range callee.Blocks {
			if ret, ok := b.Instrs[len(b.Instrs)-1].(*ssa.Return); ok && len(ret.Results) == 1 {
				out = append(out, resolveHandler(prog, ret.Results[0], kind, seen)...)
			}
		}
		return out
	}
	return nil
}

// methodHandler returns the handler that is t's method name (Invoke,
// ServeHTTP), when the package declares it; its receiver is state.
func methodHandler(prog *ssa.Program, t types.Type, name string) *handler {
	ms := prog.MethodSets.MethodSet(t)
	for i := range ms.Len() {
		sel := ms.At(i)
		if sel.Obj().Name() != name {
			continue
		}
		fn := prog.MethodValue(sel)
		if !hasBody(fn) {
			return nil
		}
		h := &handler{fn: fn, params: make([]*state, len(fn.Params))}
		if len(h.params) > 0 {
			h.params[0] = &state{desc: "the receiver of handler " + displayName(fn)}
		}
		return h
	}
	return nil
}
