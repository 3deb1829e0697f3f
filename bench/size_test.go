package bench_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxExtraBytes is what examples/basic may weigh more than bare, the same
// handler without the guard, both built as a function is deployed. About
// half of it is debug mode, which every guarded function carries so that
// LAMBDAGUARD_DEBUG=1 works on it: the monitor, the process-state checks,
// taint and redaction. docs/BENCHMARKS.md has the breakdown.
const maxExtraBytes = 600 << 10

// notLinked are symbols examples/basic must not carry: it watches no
// variable, so the snapshot walk must not be linked (internal/detect reaches
// it only through Register), and debug mode reads goroutine labels from
// tracebacks, so no pprof profile writer is.
var notLinked = []string{
	"github.com/lambdaguard/lambdaguard/internal/snapshot.Take",
	"github.com/lambdaguard/lambdaguard/internal/snapshot.Diff",
	"runtime/pprof.(*Profile).WriteTo",
}

// TestBinarySize builds examples/basic and bare as AWS recommends for
// provided.al2023 (linux/amd64, -tags lambda.norpc, stripped) and fails
// when the guard adds more than maxExtraBytes. It fails too, naming the
// function, when the guarded binary has a caller of reflect's Method by
// index that bare does not have: one such call anywhere makes the linker
// keep every exported method of every type in the binary, a megabyte here.
func TestBinarySize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	dir := t.TempDir()
	basic := build(t, "../examples", "./basic", filepath.Join(dir, "basic"))
	bare := build(t, ".", "./bare", filepath.Join(dir, "bare"))

	for _, sym := range notLinked {
		assert.False(t, basic.links(sym), "examples/basic links %s", sym)
	}
	for _, fn := range basic.reflectMethod {
		assert.True(t, slices.Contains(bare.reflectMethod, fn),
			"%s calls reflect's Method with an index (or MethodByName with a name not known at compile time): the linker then keeps every exported method in the binary", fn)
	}
	extra := basic.size - bare.size
	t.Logf("examples/basic %d bytes, bare %d bytes: the guard adds %d KB (at most %d KB)", basic.size, bare.size, extra>>10, maxExtraBytes>>10)
	assert.LessOrEqual(t, extra, int64(maxExtraBytes), "the guard adds %d KB to a function's binary", extra>>10)
}

type binary struct {
	size          int64
	reflectMethod []string // the functions the linker marks <ReflectMethod>
	deps          string   // the linker's dependency dump
}

// links reports whether the linker kept a symbol whose name starts with
// prefix.
func (b binary) links(prefix string) bool {
	return strings.Contains(b.deps, "-> "+prefix) || strings.Contains(b.deps, "\n"+prefix)
}

// build runs go build in dir, as a function is built for Lambda, and reads
// the linker's dependency dump (-dumpdep) for the functions that disable
// its dead-method elimination.
func build(t *testing.T, dir, pkg, out string) binary {
	t.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-tags", "lambda.norpc", "-ldflags", "-s -w -dumpdep", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS="+os.Getenv("GOFLAGS")+" -mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		tail := stderr.String()
		tail = tail[max(0, len(tail)-2000):]
		require.NoError(t, err, "go build %s in %s:\n%s", pkg, dir, tail)
	}
	b := binary{deps: stderr.String()}
	for line := range strings.Lines(stderr.String()) {
		// "caller <ReflectMethod> -> callee", one line per edge.
		caller, _, ok := strings.Cut(line, " -> ")
		if fn, marked := strings.CutSuffix(caller, " <ReflectMethod>"); ok && marked && !slices.Contains(b.reflectMethod, fn) {
			b.reflectMethod = append(b.reflectMethod, fn)
		}
	}
	info, err := os.Stat(out)
	require.NoError(t, err)
	b.size = info.Size()
	return b
}
