// Package testbin builds Lambda bootstraps for the project's end-to-end
// tests, with the recipe lambdaguard run uses (internal/runtimeapi/bootstrap).
// A package is built once per test binary, however many tests ask for it,
// into a directory that Cleanup removes (call it from TestMain, or let the
// test binary's temp dir be reclaimed).
package testbin

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lambdaguard/lambdaguard/internal/runtimeapi/bootstrap"
)

// builds is the cache of one test binary: package path → its build.
var builds struct {
	mu  sync.Mutex
	dir string
	m   map[string]*build
}

type build struct {
	once sync.Once
	path string
	err  error
}

// Build compiles the Go package at pkg (a path relative to the test's
// package directory, such as "./testdata/fn" or ".") and returns the path of
// its bootstrap. A package that does not build fails t with the compiler's
// output.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	b, err := entry(pkg)
	if err != nil {
		t.Fatalf("testbin: %v", err)
	}
	b.once.Do(func() { b.err = bootstrap.Build(context.Background(), pkg, b.path) })
	if b.err != nil {
		t.Fatalf("building %s:\n%v", pkg, b.err)
	}
	return b.path
}

func entry(pkg string) (*build, error) {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "lambdaguard-testbin-")
		if err != nil {
			return nil, err
		}
		builds.dir, builds.m = dir, map[string]*build{}
	}
	b, ok := builds.m[pkg]
	if !ok {
		name := strings.Trim(strings.NewReplacer("/", "_", ".", "_").Replace(pkg), "_")
		if name == "" {
			name = "pkg"
		}
		b = &build{path: filepath.Join(builds.dir, name, "bootstrap")}
		builds.m[pkg] = b
	}
	return b, nil
}

// Cleanup removes every bootstrap built so far.
func Cleanup() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir != "" {
		_ = os.RemoveAll(builds.dir)
		builds.dir, builds.m = "", nil
	}
}
