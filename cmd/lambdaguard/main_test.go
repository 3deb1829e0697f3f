package main

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lambdaguard/lambdaguard/internal/testbin"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { testbin.Cleanup() }))
}

// testFunction builds testdata/fn once per test run and returns the bootstrap's path.
func testFunction(t *testing.T) string {
	t.Helper()
	return testbin.Build(t, "./testdata/fn")
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
