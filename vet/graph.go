package vet

import (
	"go/types"

	"golang.org/x/tools/go/ssa"
)

// An edge is a call from one function of the package to another: a static
// call, a call through an interface to a method of one of the package's
// types, a goroutine, or a function value handed to a function outside the
// package (which is assumed to call it, sort.Slice's less or scope.Go's
// work alike, unless it runs it once per process like sync.Once.Do).
type edge struct {
	callee    *ssa.Function
	args      []ssa.Value // bound to callee.Params by index; nil where unknown
	free      []ssa.Value // bound to callee.FreeVars by index
	goroutine bool
}

// graph computes and caches the edges and effects of the package's
// functions.
type graph struct {
	prog    *ssa.Program
	types   []types.Type // the package's concrete named types and pointers to them
	edges   map[*ssa.Function][]edge
	effects map[*ssa.Function][]effect
	waits   map[*ssa.Function]bool
	fact    func(*types.Func) *reachFact // what another package's function does, or nil
}

func newGraph(pkg *ssa.Package, fact func(*types.Func) *reachFact) *graph {
	g := &graph{prog: pkg.Prog, fact: fact, edges: map[*ssa.Function][]edge{}, effects: map[*ssa.Function][]effect{}, waits: map[*ssa.Function]bool{}}
	for _, m := range pkg.Members {
		t, ok := m.(*ssa.Type)
		if !ok {
			continue
		}
		nt := t.Type()
		if types.IsInterface(nt) {
			continue
		}
		if n, ok := types.Unalias(nt).(*types.Named); ok && n.TypeParams().Len() > 0 {
			continue
		}
		g.types = append(g.types, nt, types.NewPointer(nt))
	}
	return g
}

func (g *graph) effectsOf(fn *ssa.Function) []effect {
	e, ok := g.effects[fn]
	if !ok {
		e = append(effectsOf(fn), importedEffects(fn, g.fact)...)
		g.effects[fn] = e
	}
	return e
}

func (g *graph) waitsIn(fn *ssa.Function) bool {
	w, ok := g.waits[fn]
	if !ok {
		w = waits(fn)
		g.waits[fn] = w
	}
	return w
}

func (g *graph) edgesOf(fn *ssa.Function) []edge {
	if e, ok := g.edges[fn]; ok {
		return e
	}
	var out []edge
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			ci, ok := instr.(ssa.CallInstruction)
			if !ok {
				continue
			}
			_, isGo := instr.(*ssa.Go)
			out = append(out, g.callEdges(ci.Common(), isGo)...)
		}
	}
	g.edges[fn] = out
	return out
}

func (g *graph) callEdges(c *ssa.CallCommon, isGo bool) []edge {
	if c.IsInvoke() {
		var out []edge
		recv := c.Value.Type()
		iface, _ := recv.Underlying().(*types.Interface)
		for _, t := range g.types {
			if iface == nil || !types.Implements(t, iface) {
				continue
			}
			sel := g.prog.MethodSets.MethodSet(t).Lookup(c.Method.Pkg(), c.Method.Name())
			if sel == nil {
				continue
			}
			if m := g.prog.MethodValue(sel); hasBody(m) {
				out = append(out, edge{callee: m, args: append([]ssa.Value{c.Value}, c.Args...), goroutine: isGo})
			}
		}
		return out
	}
	if callee := c.StaticCallee(); callee != nil {
		if hasBody(callee) {
			e := edge{callee: callee, args: c.Args, goroutine: isGo}
			if mc, ok := c.Value.(*ssa.MakeClosure); ok {
				e.free = mc.Bindings
			}
			return []edge{e}
		}
		if onceEntries[funcName(callee)] {
			return nil
		}
		if _, ok := handlerEntries[funcName(callee)]; ok {
			return nil // a handler inside a handler is found as a handler of its own
		}
	}
	// A call outside the package, or through a function value: the
	// functions it is handed are assumed to run now.
	var out []edge
	for _, a := range c.Args {
		for _, fv := range funcValues(a) {
			out = append(out, edge{callee: fv.fn, free: fv.free})
		}
	}
	return out
}

// A funcValue is a function of the package a value may hold, with what its
// free variables are bound to.
type funcValue struct {
	fn   *ssa.Function
	free []ssa.Value
}

// funcValues returns the package's functions v may hold: a function, a
// closure, either converted (http.HandlerFunc(f)) or boxed in an interface.
func funcValues(v ssa.Value) []funcValue {
	switch v := v.(type) {
	case *ssa.Function:
		if hasBody(v) {
			return []funcValue{{fn: v}}
		}
	case *ssa.MakeClosure:
		if fn, ok := v.Fn.(*ssa.Function); ok && hasBody(fn) {
			return []funcValue{{fn: fn, free: v.Bindings}}
		}
	case *ssa.ChangeType:
		return funcValues(v.X)
	case *ssa.Convert:
		return funcValues(v.X)
	case *ssa.MakeInterface:
		return funcValues(v.X)
	}
	return nil
}

func hasBody(fn *ssa.Function) bool { return fn != nil && len(fn.Blocks) > 0 }
