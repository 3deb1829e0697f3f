package procstate

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDiff(t *testing.T) {
	base := t.TempDir()
	t.Setenv("PROCSTATE_KEEP", "1")
	t.Setenv("PROCSTATE_CHANGE", "old")
	t.Setenv("PROCSTATE_GONE", "x")
	before := Take(Options{TempBase: base})
	require.Empty(t, before.Errors)

	t.Setenv("PROCSTATE_NEW", "v")
	t.Setenv("PROCSTATE_CHANGE", "new")
	require.NoError(t, os.Unsetenv("PROCSTATE_GONE"))
	f, err := os.Create(filepath.Join(base, "stray.txt"))
	require.NoError(t, err)
	defer f.Close()

	changes := Diff(before, Take(Options{TempBase: base}), nil)
	var got []string
	for _, c := range changes {
		got = append(got, string(c.What)+" "+string(c.Op)+" "+c.Name)
	}
	assert.Contains(t, got, "env set PROCSTATE_NEW")
	assert.Contains(t, got, "env changed PROCSTATE_CHANGE")
	assert.Contains(t, got, "env unset PROCSTATE_GONE")
	assert.Contains(t, got, "temp created stray.txt")
	var fdFound bool
	for _, c := range changes {
		if c.What == FD && c.New == filepath.Join(base, "stray.txt") {
			fdFound = true
		}
	}
	assert.True(t, fdFound, "the open file shows as an fd: %v", got)

	ignored := Diff(before, Take(Options{TempBase: base}), func(k string) bool { return true })
	for _, c := range ignored {
		assert.NotEqual(t, Env, c.What)
	}
}

func TestParseAddr(t *testing.T) {
	assert.Equal(t, "127.0.0.1:8080", parseAddr("0100007F:1F90"))
	assert.Equal(t, "[::1]:443", parseAddr("00000000000000000000000001000000:01BB"))
	assert.Equal(t, "", parseAddr("zz:1"))
	assert.Equal(t, "", parseAddr("0100007F"))
}

func FuzzParseAddr(f *testing.F) {
	f.Add("0100007F:1F90")
	f.Fuzz(func(t *testing.T, s string) { _ = parseAddr(s) })
}
