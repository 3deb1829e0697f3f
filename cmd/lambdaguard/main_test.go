package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var (
	binDir string
	fnOnce sync.Once
	fnPath string
	fnErr  error
	fnOut  []byte
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lg-cmd-test-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { _ = os.RemoveAll(dir) }))
}

// testFunction builds testdata/fn once per test run and returns the bootstrap's path.
func testFunction(t *testing.T) string {
	t.Helper()
	fnOnce.Do(func() {
		fnPath = filepath.Join(binDir, "fn", "bootstrap")
		cmd := exec.Command("go", "build", "-o", fnPath, "./testdata/fn")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		fnOut, fnErr = cmd.CombinedOutput()
	})
	if fnErr != nil {
		t.Fatalf("building testdata/fn: %v\n%s", fnErr, fnOut)
	}
	return fnPath
}

// runResult is what one command line did.
type runResult struct {
	code     int
	out, err string
}

// runCLI runs lambdaguard with args in this process, bounded so a test cannot hang.
func runCLI(t *testing.T, stdin io.Reader, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if stdin == nil {
		stdin = bytes.NewReader(nil)
	}
	var out, errb bytes.Buffer
	code := cli(ctx, args, stdio{in: stdin, out: &out, err: &errb})
	t.Logf("lambdaguard %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out.String(), errb.String())
	return runResult{code: code, out: out.String(), err: errb.String()}
}
