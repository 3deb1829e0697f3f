package testbin

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuildOnceAndCleanup(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n\ngo 1.26\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o600))
	wd, _ := os.Getwd()
	require.NoError(t, os.Chdir(dir))
	t.Cleanup(func() { _ = os.Chdir(wd) })

	p := Build(t, ".")
	_, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, "bootstrap", filepath.Base(p))
	require.NoError(t, os.Remove(p))
	assert.Equal(t, p, Build(t, "."))
	assert.NoFileExists(t, p, "built once: the cache answers, the go tool did not run again")

	Cleanup()
	_, err = os.Stat(filepath.Dir(filepath.Dir(p)))
	assert.ErrorIs(t, err, os.ErrNotExist)
}
