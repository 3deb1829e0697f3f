package bootstrap

import (
	"debug/elf"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func module(t *testing.T, main string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module fn\n\ngo 1.26\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(main), 0o600))
	return dir
}

func TestBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	out := filepath.Join(t.TempDir(), "bootstrap")
	require.NoError(t, Build(t.Context(), module(t, "package main\n\nfunc main() {}\n"), out))
	f, err := elf.Open(out)
	require.NoError(t, err, "a Linux executable")
	defer f.Close()
	for _, p := range f.Progs {
		assert.NotEqual(t, elf.PT_INTERP, p.Type, "statically linked: no cgo, no dynamic loader")
	}
}

func TestBuildFailureCarriesTheCompilerOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	out := filepath.Join(t.TempDir(), "bootstrap")
	err := Build(t.Context(), module(t, "package main\n\nfunc main() { var n int = \"x\" }\n"), out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `cannot use "x"`)
	assert.NoFileExists(t, out)
}
