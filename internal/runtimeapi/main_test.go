package runtimeapi

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/lambdaguard/lambdaguard/internal/testbin"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { testbin.Cleanup() }))
}

// testFunction builds testdata/fn once per test run and returns the binary's path.
func testFunction(t *testing.T) string {
	t.Helper()
	return testbin.Build(t, "./testdata/fn")
}
