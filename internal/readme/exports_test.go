package readme

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exportRow is a row of docs/DESIGN.md's API table: | pkg | before | N + M | ... |.
var exportRow = regexp.MustCompile(`(?m)^\| (\w+) \| [^|]+ \| (\d+) \+ (\d+) \|`)

// TestDesignExports keeps docs/DESIGN.md's count of each package's exported
// names true: top-level names and methods of exported types, non-test files.
func TestDesignExports(t *testing.T) {
	doc, err := os.ReadFile("../../docs/DESIGN.md")
	require.NoError(t, err)
	rows := exportRow.FindAllStringSubmatch(string(doc), -1)
	require.NotEmpty(t, rows, "docs/DESIGN.md has its table of exports")
	for _, r := range rows {
		top, methods := exports(t, filepath.Join("../..", r[1]))
		assert.Equal(t, r[2]+" + "+r[3], strconv.Itoa(top)+" + "+strconv.Itoa(methods),
			"exports of %s: update docs/DESIGN.md's table", r[1])
	}
}

func exports(t *testing.T, dir string) (top, methods int) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				switch {
				case !d.Name.IsExported():
				case d.Recv == nil:
					top++
				case receiverExported(d.Recv.List[0].Type):
					methods++
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							top++
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								top++
							}
						}
					}
				}
			}
		}
	}
	return top, methods
}

func receiverExported(t ast.Expr) bool {
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.Ident:
			return x.IsExported()
		default:
			return false
		}
	}
}
