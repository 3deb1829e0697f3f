package tmpfs_test

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lambdaguard/lambdaguard/tmpfs"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNewNameAndMode(t *testing.T) {
	base := t.TempDir()
	d, err := tmpfs.New(base, "8f2c-req")
	require.NoError(t, err)
	defer d.Wipe()

	assert.Equal(t, base, filepath.Dir(d.Path()))
	assert.True(t, strings.HasPrefix(filepath.Base(d.Path()), tmpfs.Prefix+"8f2c-req-"), d.Path())
	info, err := os.Lstat(d.Path())
	require.NoError(t, err)
	assert.True(t, info.IsDir())
	assert.Equal(t, fs.FileMode(0o700), info.Mode().Perm())

	d2, err := tmpfs.New(base, "8f2c-req")
	require.NoError(t, err)
	defer d2.Wipe()
	assert.NotEqual(t, d.Path(), d2.Path(), "names are unpredictable, never reused")
}

func TestHostileNamesStayInBase(t *testing.T) {
	base := t.TempDir()
	for _, name := range []string{
		"../../etc", "..", ".", "/etc/passwd", "a/../../b", "-rf", "line\nbreak",
		"\xff\xfe", strings.Repeat("x", 5000), "", "..\\..\\win", "req\x00id",
	} {
		d, err := tmpfs.New(base, name)
		require.NoError(t, err, "%q", name)
		assert.Equal(t, base, filepath.Dir(d.Path()), "%q escaped the base", name)
		b := filepath.Base(d.Path())
		assert.True(t, strings.HasPrefix(b, tmpfs.Prefix), "%q", name)
		assert.NotContains(t, b[len(tmpfs.Prefix):], ".", "%q", name)
		assert.LessOrEqual(t, len(b), 100, "%q", name)
		require.NoError(t, d.Wipe())
	}
	entries, err := os.ReadDir(base)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestUsage(t *testing.T) {
	d, err := tmpfs.New(t.TempDir(), "u")
	require.NoError(t, err)
	defer d.Wipe()
	r := d.Root()
	require.NoError(t, r.WriteFile("a", make([]byte, 100), 0o600))
	require.NoError(t, r.MkdirAll("sub/deeper", 0o700))
	require.NoError(t, r.WriteFile("sub/deeper/b", make([]byte, 23), 0o600))
	outside := filepath.Join(t.TempDir(), "big")
	require.NoError(t, os.WriteFile(outside, make([]byte, 1<<20), 0o600))
	require.NoError(t, os.Symlink(outside, filepath.Join(d.Path(), "link")))

	u, err := d.Usage()
	require.NoError(t, err)
	assert.Equal(t, tmpfs.Usage{Bytes: 123, Files: 3, Dirs: 2}, u, "a symlink counts as an entry, not as its target's size")
}

// TestUsageThenWipe measures a directory more than once, as a guard does at
// the end of every invocation, then wipes it: each Usage lists the
// directory afresh (what was added or removed since is seen), and Wipe
// still removes everything, what was made after the last Usage included,
// wherever the handler left the directory.
func TestUsageThenWipe(t *testing.T) {
	for _, tc := range []struct {
		name   string
		moveTo string // the handler renames its directory to this sibling
	}{
		{"in place", ""},
		{"moved away by the handler", "elsewhere"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			d, err := tmpfs.New(base, "again")
			require.NoError(t, err)
			r := d.Root()
			require.NoError(t, r.WriteFile("a", make([]byte, 10), 0o600))
			if tc.moveTo != "" {
				require.NoError(t, os.Rename(d.Path(), filepath.Join(base, tc.moveTo)))
			}
			u, err := d.Usage()
			require.NoError(t, err)
			assert.Equal(t, tmpfs.Usage{Bytes: 10, Files: 1}, u)

			require.NoError(t, r.WriteFile("b", make([]byte, 5), 0o600))
			require.NoError(t, r.MkdirAll("sub", 0o700))
			require.NoError(t, r.WriteFile("sub/c", make([]byte, 1), 0o600))
			u, err = d.Usage()
			require.NoError(t, err)
			assert.Equal(t, tmpfs.Usage{Bytes: 16, Files: 3, Dirs: 1}, u, "the second look sees what came since")

			require.NoError(t, r.Remove("a"))
			u, err = d.Usage()
			require.NoError(t, err)
			assert.Equal(t, tmpfs.Usage{Bytes: 6, Files: 2, Dirs: 1}, u, "and what went")

			// Made after the last look (a goroutine the handler left):
			// Wipe finds it although it starts from that look's listing.
			require.NoError(t, r.MkdirAll("late/deeper", 0o700))
			require.NoError(t, r.WriteFile("late/deeper/d", make([]byte, 1), 0o600))
			require.NoError(t, r.WriteFile("late-file", nil, 0o600))
			require.NoError(t, d.Wipe())
			entries, err := os.ReadDir(base)
			require.NoError(t, err)
			if tc.moveTo == "" {
				assert.Empty(t, entries)
				return
			}
			// A directory moved away is emptied; its new name is not ours
			// to remove.
			require.Len(t, entries, 1)
			left, err := os.ReadDir(filepath.Join(base, tc.moveTo))
			require.NoError(t, err)
			assert.Empty(t, left)
		})
	}
}

// sentinel makes a tree outside any temp dir and returns a checksum of it.
func sentinel(t *testing.T) (dir string, sum func() [32]byte) {
	t.Helper()
	dir = t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "nested"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "secret"), []byte("keep me"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "nested", "also"), []byte("and me"), 0o644))
	return dir, func() [32]byte {
		h := sha256.New()
		err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			require.NoError(t, err)
			h.Write([]byte(p))
			if !e.IsDir() {
				b, err := os.ReadFile(p)
				require.NoError(t, err)
				h.Write(b)
			}
			return nil
		})
		require.NoError(t, err)
		return [32]byte(h.Sum(nil))
	}
}

func TestWipeDoesNotFollowLinks(t *testing.T) {
	out, sum := sentinel(t)
	before := sum()
	d, err := tmpfs.New(t.TempDir(), "links")
	require.NoError(t, err)
	p := d.Path()
	require.NoError(t, os.Symlink(out, filepath.Join(p, "dirlink")))
	require.NoError(t, os.Symlink(filepath.Join(out, "secret"), filepath.Join(p, "filelink")))
	require.NoError(t, os.Link(filepath.Join(out, "secret"), filepath.Join(p, "hardlink")))
	require.NoError(t, os.MkdirAll(filepath.Join(p, "a", "b"), 0o700))
	require.NoError(t, os.Symlink("../../../..", filepath.Join(p, "a", "b", "up")))

	require.NoError(t, d.Wipe())
	_, err = os.Lstat(p)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Equal(t, before, sum(), "the tree outside is intact")
}

func TestWipeReadOnlyAndDeep(t *testing.T) {
	d, err := tmpfs.New(t.TempDir(), "ro")
	require.NoError(t, err)
	p := d.Path()
	deep := p
	for range 200 {
		deep = filepath.Join(deep, "nest")
	}
	require.NoError(t, os.MkdirAll(deep, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(deep, "f"), []byte("x"), 0o400))
	require.NoError(t, os.MkdirAll(filepath.Join(p, "ro", "inner"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(p, "ro", "inner", "file"), []byte("x"), 0o400))
	require.NoError(t, os.WriteFile(filepath.Join(p, "-rf"), []byte("x"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(p, "new\nline\xff"), []byte("x"), 0o600))
	require.NoError(t, os.Chmod(filepath.Join(p, "ro", "inner"), 0o500))
	require.NoError(t, os.Chmod(filepath.Join(p, "ro"), 0o500))

	require.NoError(t, d.Wipe())
	_, err = os.Lstat(p)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	require.NoError(t, d.Wipe(), "idempotent")
	_, err = d.Usage()
	assert.ErrorIs(t, err, tmpfs.ErrWiped)
	assert.Nil(t, d.Root())
}

func TestSweepRemovesOnlyStaleOwnDirs(t *testing.T) {
	base := t.TempDir()
	live, err := tmpfs.New(base, "live")
	require.NoError(t, err)
	defer live.Wipe()
	require.NoError(t, live.Root().WriteFile("data", []byte("in use"), 0o600))

	// A directory a killed process left: right name, nobody holds its lock.
	stale := filepath.Join(base, tmpfs.Prefix+"killed-0123456789abcdef")
	require.NoError(t, os.MkdirAll(filepath.Join(stale, "sub"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(stale, "sub", "f"), []byte("x"), 0o600))

	// Things Sweep must not touch.
	out, sum := sentinel(t)
	before := sum()
	require.NoError(t, os.Symlink(out, filepath.Join(base, tmpfs.Prefix+"symlink")))
	require.NoError(t, os.WriteFile(filepath.Join(base, tmpfs.Prefix+"file"), []byte("x"), 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(base, "someone-else"), 0o700))
	// Starts with the prefix but is not of New's making: another tool's dir.
	require.NoError(t, os.Mkdir(filepath.Join(base, tmpfs.Prefix+"build-123456789"), 0o700))
	require.NoError(t, os.Mkdir(filepath.Join(base, tmpfs.Prefix+"x-0123456789abcdef"), 0o755))

	n, err := tmpfs.Sweep(base)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, err = os.Lstat(stale)
	assert.ErrorIs(t, err, fs.ErrNotExist)

	got, err := live.Root().ReadFile("data")
	require.NoError(t, err)
	assert.Equal(t, "in use", string(got), "a live directory is never swept")
	for _, name := range []string{tmpfs.Prefix + "symlink", tmpfs.Prefix + "file", "someone-else",
		tmpfs.Prefix + "build-123456789", tmpfs.Prefix + "x-0123456789abcdef"} {
		_, err := os.Lstat(filepath.Join(base, name))
		assert.NoError(t, err, name)
	}
	assert.Equal(t, before, sum())
}

// TestSweepModes: an unlocked directory of New's name shape is swept when it
// has no permission beyond 0700 — 0700 itself, or what a umask that takes
// owner bits leaves of it (0500 under 0277, 0400 under 0377, 0100 under
// 0677, none under 0777); a user that is not root cannot open the last two
// to lock them, nor could New have made them for it. Another mode is not
// New's, and is left alone.
func TestSweepModes(t *testing.T) {
	base := t.TempDir()
	modes := []os.FileMode{0o700, 0o500, 0o400}
	if os.Geteuid() == 0 {
		modes = append(modes, 0o100, 0)
	}
	for i, mode := range modes {
		p := filepath.Join(base, fmt.Sprintf("%sreq-%016x", tmpfs.Prefix, i))
		require.NoError(t, os.Mkdir(p, 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(p, "left"), []byte("x"), 0o600))
		require.NoError(t, os.Chmod(p, mode))
	}
	other := filepath.Join(base, tmpfs.Prefix+"req-fedcba9876543210")
	require.NoError(t, os.Mkdir(other, 0o700))
	require.NoError(t, os.Chmod(other, 0o750))

	n, err := tmpfs.Sweep(base)
	require.NoError(t, err)
	assert.Equal(t, len(modes), n)
	entries, err := os.ReadDir(base)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, filepath.Base(other), entries[0].Name(), "another mode is not New's")
}

// TestSweepDuringNew runs Sweep over and over while directories are made,
// used and wiped beside it, as a cold start sweeps while other invocations
// of the process run: New always hands out a directory, and no directory
// handed out loses what was written to it. (A Sweep may take a directory
// New has made but not yet locked; New then makes another.)
func TestSweepDuringNew(t *testing.T) {
	base := t.TempDir()
	stop := make(chan struct{})
	var swept, sweeps atomic.Int64
	var sweeper, writers sync.WaitGroup
	sweeper.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			n, err := tmpfs.Sweep(base)
			assert.NoError(t, err)
			swept.Add(int64(n))
			sweeps.Add(1)
		}
	})
	for w := range 4 {
		writers.Go(func() {
			for i := range 200 {
				d, err := tmpfs.New(base, fmt.Sprintf("w%d-%d", w, i))
				if !assert.NoError(t, err) {
					return
				}
				assert.NoError(t, d.Root().WriteFile("f", []byte(d.Path()), 0o600))
				info, err := os.Stat(d.Path())
				if assert.NoError(t, err) {
					assert.Equal(t, fs.FileMode(0o700), info.Mode().Perm())
				}
				runtime.Gosched() // for the sweeper to have a go at it
				got, err := os.ReadFile(filepath.Join(d.Path(), "f"))
				assert.NoError(t, err, "a directory handed out was swept")
				assert.Equal(t, d.Path(), string(got))
				assert.NoError(t, d.Wipe())
			}
		})
	}
	writers.Wait()
	close(stop)
	sweeper.Wait()
	t.Logf("%d sweeps beside 800 directories; %d taken before New locked them", sweeps.Load(), swept.Load())
	entries, err := os.ReadDir(base)
	require.NoError(t, err)
	assert.Empty(t, entries)
}
