package vet

import (
	"fmt"
	"go/ast"
	"go/types"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/ssa"
)

// Analyzer reports what a Lambda handler leaves behind for the next
// invocation: writes to package-level state, environment and working
// directory changes, files under the process temp dir, goroutines not
// joined, and clients built per invocation, each with the handler it is
// reachable from and the call path. See the package documentation.
var Analyzer = &analysis.Analyzer{
	Name:      "lambdaguard",
	Doc:       "report state a Lambda handler leaves behind for the next invocation\n\nlambdaguard finds the handlers passed to guard.Start, guard.Wrap, guard.WrapHandler, guard.HTTP and aws-lambda-go's lambda.Start, StartWithOptions, StartHandler and NewHandler, follows the calls they make within the package, and reports writes to package-level variables, os.Setenv/Unsetenv/Clearenv/Chdir, files created under the process temp dir, goroutines not joined before the handler returns, and clients or pools built per invocation.",
	URL:       "https://pkg.go.dev/github.com/lambdaguard/lambdaguard/vet",
	Requires:  []*analysis.Analyzer{inspect.Analyzer},
	Run:       run,
	FactTypes: []analysis.Fact{new(reachFact)},
}

func run(pass *analysis.Pass) (any, error) {
	if pass.Pkg.Path() == guardPath || pass.TypesInfo == nil || len(pass.Files) == 0 {
		// The guard's own handlers wrap the user's: the state they keep
		// across invocations (the invocation counter, the in-flight count)
		// is what tells invocations apart. A package loaded without its
		// syntax (a dependency, from export data) has nothing to analyse.
		return nil, nil
	}
	insp := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	entry, own := callsEntry(pass, insp), ownCode(pass)
	if !entry && !own {
		return nil, nil // no handler here and no facts to give: no SSA to build
	}
	ssapkg, funcs := buildSSA(pass)
	shared := sharedVars(pass, insp)
	fact := func(fn *types.Func) *reachFact {
		f := new(reachFact)
		if fn.Pkg() == nil || fn.Pkg() == pass.Pkg || !pass.ImportObjectFact(fn, f) {
			return nil
		}
		return f
	}
	g := newGraph(ssapkg, fact)
	if own {
		// Facts name every variable with its package: they are read in
		// another one.
		exportFacts(pass, newChecker(pass, g, shared, true))
	}
	if !entry {
		return nil, nil
	}
	c := newChecker(pass, g, shared, false)
	var all []finding
	for _, h := range findHandlers(funcs) {
		if inTest(pass, h.fn) {
			// A test's own handler records what it saw in the test's
			// variables on purpose; the function's handlers are declared
			// outside its tests, and are checked wherever they are
			// registered.
			continue
		}
		hname := displayName(h.fn)
		for _, f := range c.reach(h) {
			f.msg = fmt.Sprintf("%s (handler %s: %s)", f.msg, hname, f.path)
			all = append(all, f)
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].pos < all[j].pos })
	for _, f := range all {
		pass.Report(analysis.Diagnostic{Pos: f.pos, Category: "lambdaguard", Message: f.msg})
	}
	return nil, nil
}

// newChecker returns a checker over g for the package of pass; qualify
// names the package's own variables and functions with the package name.
func newChecker(pass *analysis.Pass, g *graph, shared map[types.Object]bool, qualify bool) *checker {
	states := map[*ssa.Global]*state{}
	globalName := func(v *ssa.Global) string {
		if v.Pkg != nil && (qualify || v.Pkg.Pkg != pass.Pkg) {
			return v.Pkg.Pkg.Name() + "." + v.Name()
		}
		return v.Name()
	}
	c := &checker{
		g:          g,
		globalName: globalName,
		stateOf: func(v *ssa.Global) *state {
			if st, ok := states[v]; ok {
				return st
			}
			var st *state
			if obj := v.Object(); obj != nil && !shared[obj] && !isScopeKey(v) {
				st = &state{desc: "package-level variable " + globalName(v)}
			}
			states[v] = st
			return st
		},
	}
	if qualify {
		c.prefix = pass.Pkg.Name() + "."
		c.forFact = true
	}
	return c
}

// inTest reports whether fn is declared in a _test.go file.
func inTest(pass *analysis.Pass, fn *ssa.Function) bool {
	for fn.Parent() != nil {
		fn = fn.Parent()
	}
	pos := fn.Pos()
	if !pos.IsValid() {
		return false
	}
	return strings.HasSuffix(pass.Fset.Position(pos).Filename, "_test.go")
}

// callsEntry reports whether the package calls one of the entry points that
// take a handler, or mentions one at all (a function value of it).
func callsEntry(pass *analysis.Pass, insp *inspector.Inspector) bool {
	found := false
	insp.Preorder([]ast.Node{(*ast.Ident)(nil)}, func(n ast.Node) {
		if found {
			return
		}
		if fn, ok := pass.TypesInfo.Uses[n.(*ast.Ident)].(*types.Func); ok {
			if fn = fn.Origin(); fn.Pkg() != nil {
				_, found = handlerEntries[fn.FullName()]
			}
		}
	})
	return found
}

// isScopeKey reports whether g is a scope.Key: its value lives in each
// invocation's scope, the key itself never changes.
func isScopeKey(g *ssa.Global) bool {
	t := g.Type().(*types.Pointer).Elem()
	return isNamed(t, scopePath, "Key")
}
