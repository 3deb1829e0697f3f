package vet

import (
	"go/constant"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/ssa"
)

// An effect is something one function does that outlives the invocation it
// runs in. A write names the memory it changes (target); whether that
// memory is cross-invocation state is decided where the function is
// reached, by what its parameters and free variables are bound to.
type effect struct {
	pos    token.Pos
	write  bool
	verb   string    // for a write: "write to", "map insert into", …
	target ssa.Value // for a write: the address, map or pointer written
	msg    string    // for any other effect: the whole finding, without the handler

	// via is set for what a function of another package does: the rest of
	// the call path, from that function.
	via string

	// goroutine is set for a go statement. It is a finding unless it is
	// joinable and a function on the call path waits for something.
	goroutine, joinable bool
}

// effectsOf lists what fn itself does (not its callees) that outlives an
// invocation: writes through an address, environment and working-directory
// changes, files under the process temp dir, goroutines it starts without
// waiting for anything, and clients or pools it builds.
func effectsOf(fn *ssa.Function) []effect {
	var out []effect
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			switch in := instr.(type) {
			case *ssa.Store:
				verb := "write to"
				if isAppendTo(in.Val, in.Addr) {
					verb = "append to"
				}
				out = append(out, effect{pos: in.Pos(), write: true, verb: verb, target: in.Addr})
			case *ssa.MapUpdate:
				out = append(out, effect{pos: in.Pos(), write: true, verb: "map insert into", target: in.Map})
			case *ssa.Alloc:
				if isNamed(in.Type(), "net/http", "Transport") {
					out = append(out, effect{pos: in.Pos(), msg: "http.Transport built per invocation: its connections die in the freeze and each invocation pays a new handshake; build the client once, outside the handler"})
				}
			case *ssa.Go:
				out = append(out, effect{pos: in.Pos(), goroutine: true, joinable: joinable(&in.Call), msg: "goroutine started and not joined before the handler returns: it is frozen with the process and resumes inside a later invocation; use scope.Go or wait for it"})
			case ssa.CallInstruction:
				out = append(out, callEffects(fn, in)...)
			}
		}
	}
	return out
}

// callEffects are the effects of one call instruction.
func callEffects(fn *ssa.Function, call ssa.CallInstruction) []effect {
	c := call.Common()
	pos := call.Pos()
	if b, ok := c.Value.(*ssa.Builtin); ok {
		verb := map[string]string{"delete": "map delete from", "clear": "clear of", "copy": "copy into"}[b.Name()]
		if verb != "" && len(c.Args) > 0 {
			return []effect{{pos: pos, write: true, verb: verb, target: c.Args[0]}}
		}
		return nil
	}
	name := calleeName(c)
	if name == "" {
		return nil
	}
	switch {
	case isAtomicWrite(name):
		if len(c.Args) > 0 {
			return []effect{{pos: pos, write: true, verb: qualifiedName(name) + " on", target: c.Args[0]}}
		}
	case envCalls[name] != "":
		return []effect{{pos: pos, msg: qualifiedName(name) + " " + envCalls[name] + " for every later invocation (and every concurrent one); pass the value in the context instead"}}
	case clientCalls[name] != "":
		return []effect{{pos: pos, msg: clientCalls[name] + " builds a client per invocation: its connections die in the freeze and each invocation pays a new handshake; build it once, outside the handler (guard.NewShared)"}}
	}
	if tc, ok := tempCalls[name]; ok && tc.path < len(c.Args) {
		if underTmp(c.Args[tc.path], tc.emptyIsTmp) && !removed(fn, call, c.Args[tc.path]) {
			return []effect{{pos: pos, msg: qualifiedName(name) + " creates a file under the process temp dir, outside the invocation's own directory: it outlives the invocation; use guard.TempDir or guard.TempRoot"}}
		}
	}
	return nil
}

// calleeName is the full name of the function or method a call statically
// calls ("os.Setenv", "(*sync.Map).Store"), or "" for a dynamic call.
func calleeName(c *ssa.CallCommon) string {
	if c.IsInvoke() {
		return ""
	}
	callee := c.StaticCallee()
	if callee == nil {
		return ""
	}
	return funcName(callee)
}

// funcName is the full name of fn's declaration; an instance of a generic
// function is named by its origin.
func funcName(fn *ssa.Function) string {
	if o := fn.Origin(); o != nil {
		fn = o
	}
	if obj, ok := fn.Object().(*types.Func); ok {
		return obj.FullName()
	}
	return ""
}

// shortName is the last element of a full function name: "Store" for
// "(*sync.Map).Store".
func shortName(full string) string {
	return full[strings.LastIndexAny(full, ".")+1:]
}

// qualifiedName is a full function name as Go code spells it:
// "atomic.Int64.Add" for "(*sync/atomic.Int64).Add", "sync.Map.Store".
func qualifiedName(full string) string {
	full = strings.NewReplacer("(*", "", "(", "", ")", "").Replace(full)
	return full[strings.LastIndexByte(full, '/')+1:]
}

// isNamed reports whether t is (a pointer to) the named type pkg.name.
func isNamed(t types.Type, pkg, name string) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return false
	}
	return n.Obj().Pkg().Path() == pkg && n.Obj().Name() == name
}

// isAppendTo reports whether val is append(*addr, …): x = append(x, …).
func isAppendTo(val, addr ssa.Value) bool {
	call, ok := val.(*ssa.Call)
	if !ok {
		return false
	}
	if b, ok := call.Call.Value.(*ssa.Builtin); !ok || b.Name() != "append" || len(call.Call.Args) == 0 {
		return false
	}
	load, ok := call.Call.Args[0].(*ssa.UnOp)
	return ok && load.Op == token.MUL && load.X == addr
}

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
