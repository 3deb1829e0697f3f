package vet

import (
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
