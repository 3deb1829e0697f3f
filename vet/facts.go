package vet

import (
	"fmt"
	"go/ast"
	"go/types"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ssa"
)

// maxFactFindings bounds what one function's fact carries: enough to show
// the problem at the call, not a listing of the package.
const maxFactFindings = 16

// reachFact is what an exported function or method does, through the calls
// it makes, that outlives an invocation: the findings a handler calling it
// would get, with no state bound to its parameters. It carries the analysis
// across packages: a handler in main that calls store.Put is told what Put
// writes.
type reachFact struct {
	Findings []factFinding
}

// factFinding is one finding of a reachFact.
type factFinding struct {
	Posn string // file:line:col, the file's base name
	Msg  string
	Path string // the call path from the function: "store.Put → store.remember"
}

func (*reachFact) AFact() {}

func (f *reachFact) String() string {
	var b strings.Builder
	for i, ff := range f.Findings {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s (%s)", ff.Posn, ff.Msg, ff.Path)
	}
	return b.String()
}

// ownCode reports whether the package's functions get facts: the packages
// of the modules being worked on. The standard library and versioned
// third-party modules are not followed: their state is theirs to keep
// (http.DefaultTransport's idle connections), and analysing them would cost
// every run the SSA of every dependency.
func ownCode(pass *analysis.Pass) bool {
	if pass.Pkg.Name() == "main" {
		return false // a command is not imported
	}
	path := pass.Pkg.Path()
	first, _, _ := strings.Cut(path, "/")
	if !strings.Contains(first, ".") {
		return false
	}
	return pass.Module == nil || pass.Module.Version == ""
}

// exportFacts records a reachFact for each exported function and method of
// the package that does something that outlives an invocation.
func exportFacts(pass *analysis.Pass, c *checker) {
	for _, file := range pass.Files {
		for _, decl := range file.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || !fd.Name.IsExported() {
				continue
			}
			obj, ok := pass.TypesInfo.Defs[fd.Name].(*types.Func)
			if !ok {
				continue
			}
			fn := c.g.prog.FuncValue(obj)
			if !hasBody(fn) {
				continue
			}
			found := c.reach(&handler{fn: fn, params: make([]*state, len(fn.Params))})
			if len(found) == 0 {
				continue
			}
			fact := &reachFact{}
			for _, f := range found[:min(len(found), maxFactFindings)] {
				posn := pass.Fset.Position(f.pos)
				posn.Filename = filepath.Base(posn.Filename)
				fact.Findings = append(fact.Findings, factFinding{Posn: posn.String(), Msg: f.msg, Path: f.path})
			}
			pass.ExportObjectFact(obj, fact)
		}
	}
}

// importedEffects are the effects of fn's calls to functions of other
// packages that have a reachFact, each shown at the call.
func importedEffects(fn *ssa.Function, fact func(*types.Func) *reachFact) []effect {
	var out []effect
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			ci, ok := instr.(ssa.CallInstruction)
			if !ok || ci.Common().IsInvoke() {
				continue
			}
			callee := ci.Common().StaticCallee()
			if callee == nil || hasBody(callee) {
				continue
			}
			if callee.Origin() != nil {
				callee = callee.Origin()
			}
			obj, ok := callee.Object().(*types.Func)
			if !ok {
				continue
			}
			f := fact(obj)
			if f == nil {
				continue
			}
			for _, ff := range f.Findings {
				out = append(out, effect{pos: ci.Pos(), msg: ff.Msg + ", at " + ff.Posn, via: ff.Path})
			}
		}
	}
	return out
}
