package vet

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"
)

// Directive is the comment that declares a package-level variable shared
// across invocations on purpose, on the line before its declaration (or
// before the var block, for every variable in it) or at the end of its
// line:
//
//	//lambdaguard:shared
//	var cache = map[string][]byte{}
const Directive = "//lambdaguard:shared"

// sharedVars returns the package-level variables of the package declared
// shared: by a guard.Ignore(name, &v) call anywhere in the package, or by
// the directive.
func sharedVars(pass *analysis.Pass, insp *inspector.Inspector) map[types.Object]bool {
	out := map[types.Object]bool{}
	insp.Preorder([]ast.Node{(*ast.CallExpr)(nil), (*ast.GenDecl)(nil)}, func(n ast.Node) {
		switch n := n.(type) {
		case *ast.CallExpr:
			if !isFunc(pass, n, guardPath, "Ignore") || len(n.Args) != 2 {
				return
			}
			if addr, ok := ast.Unparen(n.Args[1]).(*ast.UnaryExpr); ok && addr.Op == token.AND {
				if id, ok := ast.Unparen(addr.X).(*ast.Ident); ok {
					if obj := pass.TypesInfo.Uses[id]; obj != nil {
						out[obj] = true
					}
				}
			}
		case *ast.GenDecl:
			if n.Tok != token.VAR {
				return
			}
			all := hasDirective(n.Doc)
			for _, spec := range n.Specs {
				vs := spec.(*ast.ValueSpec)
				if all || hasDirective(vs.Doc) || hasDirective(vs.Comment) {
					for _, id := range vs.Names {
						if obj := pass.TypesInfo.Defs[id]; obj != nil {
							out[obj] = true
						}
					}
				}
			}
		}
	})
	return out
}

// hasDirective reports whether a comment group holds the directive, alone
// on its line (text after it is a note for the reader).
func hasDirective(g *ast.CommentGroup) bool {
	if g == nil {
		return false
	}
	for _, c := range g.List {
		if c.Text == Directive || strings.HasPrefix(c.Text, Directive+" ") {
			return true
		}
	}
	return false
}

// isFunc reports whether call calls the package-level function pkg.name.
func isFunc(pass *analysis.Pass, call *ast.CallExpr, pkg, name string) bool {
	fn, ok := typeutil.Callee(pass.TypesInfo, call).(*types.Func)
	return ok && fn.Pkg() != nil && fn.Pkg().Path() == pkg && fn.Name() == name
}
