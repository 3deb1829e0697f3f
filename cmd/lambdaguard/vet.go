package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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
the call path, one per line as go vet prints them (file:line:col: message). Calls into
the main module's other packages are followed; their own findings are printed when they
are among the packages asked for.

Flags:
  -json     print the findings as JSON, as go vet -json and other analysis tools do
  -C dir    change to dir before loading the packages (as go -C does)

A variable shared across invocations on purpose is declared so once, with
guard.Ignore(name, &v) or a //lambdaguard:shared comment above its
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
	acts, err := analyze(opts.dir, opts.patterns)
	if err != nil {
		fmt.Fprintf(io.err, "lambdaguard vet: %v\n", err)
		return exitFailure
	}
	found, failed := 0, false
	for _, act := range acts {
		if act.Err != nil {
			fmt.Fprintf(io.err, "lambdaguard vet: %s: %v\n", act.Package.PkgPath, act.Err)
			failed = true
		}
		found += len(act.Diagnostics)
	}
	if opts.json {
		err = printJSON(io.out, acts)
	} else {
		err = printText(io.out, opts.dir, acts)
	}
	switch {
	case err != nil:
		fmt.Fprintf(io.err, "lambdaguard vet: %v\n", err)
		return exitFailure
	case failed:
		return exitFailure
	case found > 0:
		return exitFindings
	}
	return exitOK
}

// analyze loads the packages matched by patterns in dir, runs the analyzer
// on them and returns their actions, in the order of their package paths.
//
// The packages are parsed and type-checked from source, their dependencies
// come as export data from the build cache, which is much faster than
// checking every dependency from source. The analyzer follows calls into
// the other packages of the main module through facts, which only a package
// analysed from source gives: those that the packages import are loaded
// from source too, and analysed, but their own findings are not returned.
// Packages that do not load (a syntax or type error, a pattern that matches
// nothing) are an error listing every problem.
func analyze(dir string, patterns []string) ([]*checker.Action, error) {
	cfg := &packages.Config{Mode: packages.LoadSyntax | packages.NeedModule, Dir: dir}
	pkgs, err := load(cfg, patterns)
	if err != nil {
		return nil, err
	}
	asked := map[string]bool{}
	for _, p := range pkgs {
		asked[p.ID] = true
	}
	var local []string
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if !asked[p.ID] && len(p.Syntax) == 0 && p.Module != nil && p.Module.Main {
			local = append(local, p.PkgPath)
		}
	})
	if len(local) > 0 {
		if pkgs, err = load(cfg, append(patterns, local...)); err != nil {
			return nil, err
		}
	}
	g, err := checker.Analyze([]*analysis.Analyzer{vet.Analyzer}, pkgs, nil)
	if err != nil {
		return nil, err
	}
	var acts []*checker.Action
	for _, act := range g.Roots {
		if asked[act.Package.ID] {
			acts = append(acts, act)
		}
	}
	sort.Slice(acts, func(i, j int) bool { return acts[i].Package.ID < acts[j].Package.ID })
	return acts, nil
}

// load is packages.Load, with every package's errors made one error.
func load(cfg *packages.Config, patterns []string) ([]*packages.Package, error) {
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
	return pkgs, nil
}

// printText prints each finding as go vet does, file:line:col: message, the
// file relative to dir ("./main.go") when it is inside it.
func printText(w io.Writer, dir string, acts []*checker.Action) error {
	base, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	var lines []string
	for _, act := range acts {
		for _, d := range act.Diagnostics {
			posn := act.Package.Fset.Position(d.Pos)
			if rel, err := filepath.Rel(base, posn.Filename); err == nil && !strings.HasPrefix(rel, "..") {
				posn.Filename = "." + string(filepath.Separator) + rel
			}
			lines = append(lines, fmt.Sprintf("%s: %s", posn, d.Message))
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	return nil
}

// jsonDiagnostic is one finding as go vet -json prints it.
type jsonDiagnostic struct {
	Category string `json:"category,omitempty"`
	Posn     string `json:"posn"`
	Message  string `json:"message"`
}

// printJSON prints the findings as go vet -json and the analysis drivers
// do: an object keyed by package ID, then by analyzer name, holding the
// diagnostics or the error. Packages without either are left out.
func printJSON(w io.Writer, acts []*checker.Action) error {
	tree := map[string]map[string]any{}
	for _, act := range acts {
		var v any
		switch {
		case act.Err != nil:
			v = map[string]string{"error": act.Err.Error()}
		case len(act.Diagnostics) > 0:
			var diags []jsonDiagnostic
			for _, d := range act.Diagnostics {
				diags = append(diags, jsonDiagnostic{Category: d.Category, Posn: act.Package.Fset.Position(d.Pos).String(), Message: d.Message})
			}
			v = diags
		default:
			continue
		}
		tree[act.Package.ID] = map[string]any{act.Analyzer.Name: v}
	}
	data, err := json.MarshalIndent(tree, "", "\t")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}
