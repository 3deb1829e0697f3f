package tmpfs_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/tmpfs"
)

// within runs fn and reports whether it returned within d.
func within(d time.Duration, fn func()) bool {
	done := make(chan struct{})
	go func() { fn(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// TestNothingOpensTheNameOnceHandedOut: the handler moves its directory away
// (a subdirectory in it, which needs a Root to remove) and puts a FIFO at its
// name. Nothing of the Dir opens the name again: an open(2) of a FIFO blocks
// until a writer comes, and would hold the Dir, and the invocation's end,
// forever.
func TestNothingOpensTheNameOnceHandedOut(t *testing.T) {
	for _, op := range []string{"Wipe", "Usage", "OpenRoot", "Root"} {
		t.Run(op, func(t *testing.T) {
			base := t.TempDir()
			d, err := tmpfs.New(base, "req")
			require.NoError(t, err)
			require.NoError(t, os.MkdirAll(filepath.Join(d.Path(), "sub"), 0o700))
			require.NoError(t, os.WriteFile(filepath.Join(d.Path(), "sub", "f"), []byte("x"), 0o600))
			aside := filepath.Join(base, "aside")
			require.NoError(t, os.Rename(d.Path(), aside))
			require.NoError(t, syscall.Mkfifo(d.Path(), 0o600))
			ok := within(3*time.Second, func() {
				switch op {
				case "Wipe":
					_ = d.Wipe()
				case "Usage":
					_, _ = d.Usage()
				case "OpenRoot":
					if r, err := d.OpenRoot(); err == nil {
						_ = r.Close()
					}
				case "Root":
					_ = d.Root()
				}
			})
			if !ok {
				// Release the open, so that the test can end.
				if fd, err := syscall.Open(d.Path(), syscall.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					_ = syscall.Close(fd)
				}
				t.Fatalf("%s blocked opening the FIFO put at %s", op, d.Path())
			}
			require.NoError(t, os.Remove(d.Path()))
			_ = d.Wipe()
			entries, err := os.ReadDir(aside)
			require.NoError(t, err)
			assert.Empty(t, entries, "the directory made, moved away, is emptied")
		})
	}
}

// TestWipeOpensNothingOutside: the name swapped for a symlink to a FIFO
// outside the directory; the wipe must not open it (opening a FIFO for
// reading wakes a writer waiting on it).
func TestWipeOpensNothingOutside(t *testing.T) {
	base := t.TempDir()
	fifo := filepath.Join(t.TempDir(), "outside.fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o666))
	woke := make(chan struct{})
	go func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			close(woke)
			_ = f.Close()
		}
	}()
	d, err := tmpfs.New(base, "req")
	require.NoError(t, err)
	require.NoError(t, os.Mkdir(filepath.Join(d.Path(), "sub"), 0o700))
	require.NoError(t, os.Rename(d.Path(), filepath.Join(base, "aside")))
	require.NoError(t, os.Symlink(fifo, d.Path()))
	require.True(t, within(3*time.Second, func() { _ = d.Wipe() }), "Wipe hung")
	select {
	case <-woke:
		t.Errorf("Wipe opened %s, outside its directory", fifo)
	case <-time.After(300 * time.Millisecond):
		// Release the writer (goleak).
		fd, err := syscall.Open(fifo, syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
		require.NoError(t, err)
		<-woke
		_ = syscall.Close(fd)
	}
}

// TestHandlerModes gives the directory, with a file and a subdirectory in
// it, every mode a handler can give it, as a user that is not root (as
// Lambda runs functions): Wipe always removes it all, Root is never nil
// before Wipe, and Usage is exact wherever the directory can be searched.
func TestHandlerModes(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root bypasses permissions: .ci/run runs this as a user that is not root")
	}
	for mode := os.FileMode(0); mode <= 0o700; mode += 0o100 {
		base := t.TempDir()
		d, err := tmpfs.New(base, "m")
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(d.Path(), "sub", "deeper"), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(d.Path(), "sub", "f"), []byte("12345"), 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(d.Path(), "top"), []byte("12"), 0o600))
		require.NoError(t, os.Chmod(d.Path(), mode))
		assert.NotNil(t, d.Root(), "mode %04o: Root before Wipe", mode)
		u, err := d.Usage()
		if mode&0o100 != 0 {
			assert.NoError(t, err, "mode %04o", mode)
			assert.Equal(t, tmpfs.Usage{Bytes: 7, Files: 2, Dirs: 2}, u, "mode %04o", mode)
		}
		assert.NoError(t, d.Wipe(), "mode %04o", mode)
		_, err = os.Lstat(d.Path())
		assert.ErrorIs(t, err, os.ErrNotExist, "mode %04o: wiped", mode)
	}
}
