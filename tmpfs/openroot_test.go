package tmpfs_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/tmpfs"
)

// TestOpenRootClosedByCaller: a Root from OpenRoot is the caller's to close
// (defer r.Close(), as Go code does); closing it, once or twice, leaves the
// Dir working and the wipe complete.
func TestOpenRootClosedByCaller(t *testing.T) {
	base := t.TempDir()
	d, err := tmpfs.New(base, "own-root")
	require.NoError(t, err)
	r, err := d.OpenRoot()
	require.NoError(t, err)
	assert.Equal(t, d.Path()+string(filepath.Separator), r.Name(), "named by the directory's path, a name a child process can use too")
	require.NoError(t, r.WriteFile("data", []byte("request data"), 0o600))
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "closing twice is harmless")

	got, err := d.Root().ReadFile("data")
	require.NoError(t, err, "the Dir's own Root is untouched")
	assert.Equal(t, "request data", string(got))
	u, err := d.Usage()
	require.NoError(t, err)
	assert.Equal(t, 1, u.Files)

	require.NoError(t, d.Wipe())
	entries, err := os.ReadDir(base)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing left under the base")
	_, err = d.OpenRoot()
	assert.ErrorIs(t, err, tmpfs.ErrWiped)
}

// TestOpenRootOpenAtWipe: the wipe does not wait for, nor depend on, Roots
// still open; nothing can be created through one afterwards.
func TestOpenRootOpenAtWipe(t *testing.T) {
	base := t.TempDir()
	d, err := tmpfs.New(base, "open-root")
	require.NoError(t, err)
	r, err := d.OpenRoot()
	require.NoError(t, err)
	defer r.Close()
	require.NoError(t, r.MkdirAll("sub/deeper", 0o700))
	require.NoError(t, r.WriteFile("sub/deeper/f", []byte("x"), 0o600))

	require.NoError(t, d.Wipe())
	_, err = os.Lstat(d.Path())
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Error(t, r.WriteFile("late", []byte("after the wipe"), 0o600), "the directory is gone")
	entries, err := os.ReadDir(base)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

// TestOpenRootNotWhatTheNameLeadsTo: once the directory's name leads to
// something else (moved away, a symlink to another directory put in its
// place), OpenRoot fails rather than open it, and names the directory;
// nothing is written to what the name leads to, and Wipe still empties the
// directory made.
func TestOpenRootNotWhatTheNameLeadsTo(t *testing.T) {
	base := t.TempDir()
	d, err := tmpfs.New(base, "swapped")
	require.NoError(t, err)
	require.NoError(t, d.Root().WriteFile("f", []byte("x"), 0o600))
	moved := filepath.Join(t.TempDir(), "moved")
	require.NoError(t, os.Rename(d.Path(), moved))
	decoy := t.TempDir()
	require.NoError(t, os.Symlink(decoy, d.Path()))

	r, err := d.OpenRoot()
	if r != nil {
		_ = r.Close()
	}
	require.Error(t, err)
	assert.Contains(t, err.Error(), d.Path())
	entries, err := os.ReadDir(decoy)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing written to what the name leads to")

	assert.Error(t, d.Wipe(), "the name is not the directory's any more: reported")
	entries, err = os.ReadDir(moved)
	require.NoError(t, err)
	assert.Empty(t, entries, "the directory made is emptied all the same")
}
