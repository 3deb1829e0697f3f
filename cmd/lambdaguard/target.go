package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/lambdaguard/lambdaguard/internal/runtimeapi/bootstrap"
)

// target is the bootstrap to run.
type target struct {
	bin     string // path to the executable
	name    string // default function name
	cleanup func()
}

// prepare turns the command line's target into a bootstrap: a directory is a Go package,
// built as Lambda needs it; a file is taken as an already built binary.
func prepare(ctx context.Context, arg string, progress func(string)) (target, error) {
	abs, err := filepath.Abs(arg)
	if err != nil {
		return target{}, err
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return target{}, fmt.Errorf("%s: no such package directory or bootstrap binary", arg)
	case err != nil:
		return target{}, err
	case fi.IsDir():
		progress("building " + arg + " (GOOS=linux CGO_ENABLED=0)")
		return build(ctx, arg, abs)
	case strings.HasSuffix(abs, ".go"):
		return target{}, fmt.Errorf("%s: give the package directory, not a .go file", arg)
	case fi.Mode().Perm()&0o111 == 0:
		return target{}, fmt.Errorf("%s: not an executable file (a bootstrap binary or a Go package directory)", arg)
	}
	name := filepath.Base(abs)
	if name == "bootstrap" {
		name = filepath.Base(filepath.Dir(abs))
	}
	return target{bin: abs, name: name, cleanup: func() {}}, nil
}

// build compiles the package in dir into a temporary bootstrap, the way it is built for
// Lambda's provided.al2023 runtime.
func build(ctx context.Context, arg, dir string) (target, error) {
	// Not "lambdaguard-": that prefix is the guard's, and its sweep at a cold start would
	// take the bootstrap away from under the runner.
	tmp, err := os.MkdirTemp("", "lg-build-")
	if err != nil {
		return target{}, err
	}
	cleanup := func() { _ = os.RemoveAll(tmp) }
	bin := filepath.Join(tmp, "bootstrap")
	if err := bootstrap.Build(ctx, dir, bin); err != nil {
		cleanup()
		return target{}, fmt.Errorf("building %s failed:\n%v", arg, err)
	}
	return target{bin: bin, name: filepath.Base(dir), cleanup: cleanup}, nil
}
