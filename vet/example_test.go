package vet_test

import (
	"fmt"
	"log"
	"path/filepath"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/lambdaguard/lambdaguard/vet"
)

// Example runs the analyzer on a function that keeps the last caller's name
// in a package-level variable, as lambdaguard vet does: load the packages
// with their syntax, analyse them, print each finding.
func Example() {
	pkgs, err := packages.Load(&packages.Config{Mode: packages.LoadAllSyntax, Dir: "testdata/example"}, ".")
	if err != nil {
		log.Fatal(err)
	}
	g, err := checker.Analyze([]*analysis.Analyzer{vet.Analyzer}, pkgs, nil)
	if err != nil {
		log.Fatal(err)
	}
	for act := range g.All() {
		if !act.IsRoot {
			continue
		}
		for _, d := range act.Diagnostics {
			posn := act.Package.Fset.Position(d.Pos)
			fmt.Printf("%s:%d: %s\n", filepath.Base(posn.Filename), posn.Line, d.Message)
		}
	}
	// Output:
	// main.go:20: write to package-level variable lastCaller: it keeps its value into the next invocation (handler greet: greet → remember)
}
