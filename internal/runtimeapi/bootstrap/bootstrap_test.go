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
	// package net resolves names through the C library when cgo is on: the
	// binary would then need the dynamic loader, which provided.al2023 has
	// not got.
	fn := "package main\n\nimport \"net\"\n\nfunc main() { _, _ = net.LookupHost(\"localhost\") }\n"
	require.NoError(t, Build(t.Context(), module(t, fn), out))
	f, err := elf.Open(out)
	require.NoError(t, err, "an ELF executable")
	defer f.Close()
	assert.Equal(t, elf.ELFOSABI_NONE, f.OSABI, "for Linux")
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
