package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/lambdaguard/lambdaguard/vet"
)

const vetHelp = `Usage: lambdaguard vet [-json] [-C dir] [packages]

Checks the packages (go list patterns; default ".") for what a Lambda handler leaves
behind for the next invocation, before anything runs: writes to package-level state,
os.Setenv and friends, files under the process temp dir, goroutines not joined, and
clients built per invocation. Each finding names the handler it is reachable from and
the call path, one per line as go vet prints them (file:line:col: message).

Flags:
  -json     print the findings as JSON, as go vet -json and other analysis tools do
  -C dir    change to dir before loading the packages (as go -C does)

A variable shared across invocations on purpose is declared so once, with
guard.Watch(name, &v, guard.Shared()) or a //lambdaguard:shared comment above its
declaration, and is not reported.

Exit status: 0 when nothing was found, 3 when something was, 1 when the packages
could not be loaded, 2 for a usage error.
`

// vetOptions is the vet command's configuration.
type vetOptions struct {
	json     bool
	dir      string
	patterns []string
}

func parseVetArgs(args []string) (vetOptions, error) {
	var o vetOptions
	fs := flag.NewFlagSet("vet", flag.ContinueOnError)
	fs.SetOutput(new(bytes.Buffer))
	fs.Usage = func() {}
	fs.BoolVar(&o.json, "json", false, "")
	fs.StringVar(&o.dir, "C", "", "")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.patterns = fs.Args()
	if len(o.patterns) == 0 {
		o.patterns = []string{"."}
	}
	for _, p := range o.patterns {
		if strings.HasPrefix(p, "-") {
			return o, fmt.Errorf("flag %s after the packages", p)
		}
	}
	return o, nil
}

// vetCommand is "lambdaguard vet": it returns the exit status.
func vetCommand(args []string, io stdio) int {
	opts, err := parseVetArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(io.out, vetHelp)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(io.err, "lambdaguard vet: %v\nRun \"lambdaguard vet --help\" for usage.\n", err)
		return exitUsage
	}
	g, err := analyze(opts.dir, opts.patterns)
	if err != nil {
		fmt.Fprintf(io.err, "lambdaguard vet: %v\n", err)
		return exitFailure
	}
	if opts.json {
		if err := g.PrintJSON(io.out); err != nil {
			fmt.Fprintf(io.err, "lambdaguard vet: %v\n", err)
			return exitFailure
		}
	}
	found, failed := 0, false
	base := opts.dir
	if base == "" {
		base, _ = os.Getwd()
	}
	base, _ = filepath.Abs(base)
	var lines []string
	for act := range g.All() {
		if !act.IsRoot {
			continue
		}
		if act.Err != nil {
			fmt.Fprintf(io.err, "lambdaguard vet: %s: %v\n", act.Package.PkgPath, act.Err)
			failed = true
			continue
		}
		for _, d := range act.Diagnostics {
			found++
			lines = append(lines, diagnosticLine(act.Package, base, d))
		}
	}
	if !opts.json {
		sort.Strings(lines)
		for _, l := range lines {
			fmt.Fprintln(io.out, l)
		}
	}
	switch {
	case failed:
		return exitFailure
	case found > 0:
		return exitFindings
	}
	return exitOK
}

// analyze loads the packages matched by patterns in dir and runs the
// analyzer on them. The analyzer uses no facts, so only these packages are
// parsed and type-checked from source; their dependencies come as export
// data, from the build cache. Packages that do not load (a syntax or type error, a
// pattern that matches nothing) are an error listing every problem.
func analyze(dir string, patterns []string) (*checker.Graph, error) {
	cfg := &packages.Config{Mode: packages.LoadSyntax | packages.NeedModule, Dir: dir}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, err
	}
	var problems []string
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			problems = append(problems, e.Error())
		}
	})
	if len(pkgs) == 0 {
		problems = append(problems, fmt.Sprintf("no packages match %s", strings.Join(patterns, " ")))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("packages do not load:\n\t%s", strings.Join(problems, "\n\t"))
	}
	g, err := checker.Analyze([]*analysis.Analyzer{vet.Analyzer}, pkgs, nil)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// diagnosticLine is d as go vet prints it: file:line:col: message, the file
// relative to base ("./main.go") when it is inside it.
func diagnosticLine(pkg *packages.Package, base string, d analysis.Diagnostic) string {
	posn := pkg.Fset.Position(d.Pos)
	if rel, err := filepath.Rel(base, posn.Filename); err == nil && !strings.HasPrefix(rel, "..") {
		posn.Filename = "." + string(filepath.Separator) + rel
	}
	return fmt.Sprintf("%s: %s", posn, d.Message)
}
