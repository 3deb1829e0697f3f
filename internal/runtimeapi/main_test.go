package runtimeapi

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

var (
	binDir   string
	fnOnce   sync.Once
	fnPath   string
	fnErr    error
	fnOutput []byte
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runtimeapi-test-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { _ = os.RemoveAll(dir) }))
}

// testFunction builds testdata/fn once per test run and returns the binary's path.
func testFunction(t *testing.T) string {
	t.Helper()
	fnOnce.Do(func() {
		fnPath = filepath.Join(binDir, "bootstrap")
		cmd := exec.Command("go", "build", "-o", fnPath, "./testdata/fn")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		fnOutput, fnErr = cmd.CombinedOutput()
	})
	if fnErr != nil {
		t.Fatalf("building testdata/fn: %v\n%s", fnErr, fnOutput)
	}
	return fnPath
}
