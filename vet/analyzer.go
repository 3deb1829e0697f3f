package vet

import (
	"go/ast"
	"go/types"
	"sort"

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
	Name:     "lambdaguard",
	Doc:      "report state a Lambda handler leaves behind for the next invocation\n\nlambdaguard finds the handlers passed to guard.Start, guard.Wrap, guard.WrapHandler, guard.HTTP and aws-lambda-go's lambda.Start, StartWithOptions, StartHandler and NewHandler, follows the calls they make within the package, and reports writes to package-level variables, os.Setenv/Unsetenv/Clearenv/Chdir, files created under the process temp dir, goroutines not joined before the handler returns, and clients or pools built per invocation.",
	URL:      "https://pkg.go.dev/github.com/lambdaguard/lambdaguard/vet",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

func run(pass *analysis.Pass) (any, error) {
	if pass.Pkg.Path() == guardPath {
		// The guard's own handlers wrap the user's: the state they keep
		// across invocations (the invocation counter, the in-flight count)
		// is what tells invocations apart.
		return nil, nil
	}
	insp := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	if !callsEntry(pass, insp) {
		return nil, nil // no handler here: no SSA to build
	}
	ssapkg, funcs := buildSSA(pass)
	handlers := findHandlers(funcs)
	if len(handlers) == 0 {
		return nil, nil
	}
	shared := sharedVars(pass, insp)
	states := map[*ssa.Global]*state{}
	globalName := func(g *ssa.Global) string {
		if g.Pkg != nil && g.Pkg.Pkg != pass.Pkg {
			return g.Pkg.Pkg.Name() + "." + g.Name()
		}
		return g.Name()
	}
	c := &checker{
		g:          newGraph(ssapkg),
		globalName: globalName,
		stateOf: func(g *ssa.Global) *state {
			if st, ok := states[g]; ok {
				return st
			}
			var st *state
			if obj := g.Object(); obj != nil && !shared[obj] && !isScopeKey(g) {
				st = &state{desc: "package-level variable " + globalName(g)}
			}
			states[g] = st
			return st
		},
	}
	var all []finding
	for _, h := range handlers {
		all = append(all, c.reach(h)...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].pos < all[j].pos })
	for _, f := range all {
		pass.Report(analysis.Diagnostic{Pos: f.pos, Category: "lambdaguard", Message: f.msg})
	}
	return nil, nil
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
