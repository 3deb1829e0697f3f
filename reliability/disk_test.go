package reliability_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tmpfs"
)

// smallDisk mounts a 1 MB tmpfs (with more mount options after a comma) and returns its path, or skips the test when
// this process may not mount (not root, or no CAP_SYS_ADMIN in a container).
func smallDisk(t *testing.T, opts string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size=1m,mode=0755"+opts); err != nil {
		t.Skipf("cannot mount a 1 MB tmpfs here (%v): run as root, or with CAP_SYS_ADMIN, to test a full disk", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

func freeBytes(t *testing.T, dir string) uint64 {
	t.Helper()
	var st syscall.Statfs_t
	require.NoError(t, syscall.Statfs(dir, &st))
	return st.Bavail * uint64(st.Bsize)
}

// TestDiskFull fills a 1 MB file system from inside an invocation's temp
// directory: the handler gets ENOSPC as a plain error it can report, the
// guard still wipes the directory (and frees the space), and the files next
// to it on the same disk are intact.
func TestDiskFull(t *testing.T) {
	disk := smallDisk(t, "")
	neighbour := filepath.Join(disk, "neighbour")
	require.NoError(t, os.WriteFile(neighbour, []byte("someone else's data"), 0o600))
	out := sentinelTree(t)
	before := checksum(t, out)
	free := freeBytes(t, disk)

	base := filepath.Join(disk, "base")
	require.NoError(t, os.Mkdir(base, 0o700))
	var dir string
	h := guard.Wrap(func(ctx context.Context, _ struct{}) (string, error) {
		root, err := guard.TempRoot(ctx)
		if err != nil {
			return "", err
		}
		dir, _ = guard.TempDir(ctx)
		f, err := root.Create("fill")
		if err != nil {
			return "", err
		}
		defer f.Close()
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for range 64 { // 4 MB into 1 MB
			if _, err := f.Write(chunk); err != nil {
				return "", err
			}
		}
		return "fit", nil
	}, guard.WithTempBase(base), guard.WithLogger(discardLogger()))

	_, err := h(t.Context(), struct{}{})
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.ENOSPC, "the handler sees why: %v", err)
	assert.Contains(t, err.Error(), "no space left on device")
	gone(t, dir)
	emptyDir(t, base)
	assert.Equal(t, free, freeBytes(t, disk), "the space is given back")
	b, err := os.ReadFile(neighbour)
	require.NoError(t, err)
	assert.Equal(t, "someone else's data", string(b))
	assert.Equal(t, before, checksum(t, out))
}

// TestDiskFullBeforeTheDirectory fills the disk before the invocation asks
// for its directory: TempDir fails with a clear, wrapped error instead of a
// panic, and the next invocation, once there is room, works.
func TestDiskFullBeforeTheDirectory(t *testing.T) {
	disk := smallDisk(t, ",nr_inodes=64")
	base := filepath.Join(disk, "base")
	require.NoError(t, os.Mkdir(base, 0o700))
	// Use up the inodes as well as the blocks: a mkdir needs either.
	hog := filepath.Join(disk, "hog")
	require.NoError(t, os.Mkdir(hog, 0o700))
	f, err := os.Create(filepath.Join(hog, "blocks"))
	require.NoError(t, err)
	for {
		if _, err := f.Write(make([]byte, 4096)); err != nil {
			break
		}
	}
	require.NoError(t, f.Close())
	for i := 0; ; i++ {
		if err := os.Mkdir(filepath.Join(hog, "d"+strconv.Itoa(i)), 0o700); err != nil {
			break
		}
	}

	h := guard.Wrap(func(ctx context.Context, _ struct{}) (string, error) {
		_, err := guard.TempDir(ctx)
		return "", err
	}, guard.WithTempBase(base), guard.WithLogger(discardLogger()))
	_, err = h(t.Context(), struct{}{})
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.ENOSPC)
	assert.Contains(t, err.Error(), "guard: temp dir: tmpfs:")
	emptyDir(t, base)

	require.NoError(t, os.RemoveAll(hog))
	_, err = h(t.Context(), struct{}{})
	require.NoError(t, err)
	emptyDir(t, base)
}

// TestDiskFullUsageAndWipe: a Dir on a full disk still measures and wipes.
func TestDiskFullUsageAndWipe(t *testing.T) {
	disk := smallDisk(t, "")
	d, err := tmpfs.New(disk, "full")
	require.NoError(t, err)
	err = d.Root().WriteFile("big", make([]byte, 2<<20), 0o600)
	require.True(t, errors.Is(err, syscall.ENOSPC), "%v", err)
	u, err := d.Usage()
	require.NoError(t, err)
	assert.Positive(t, u.Bytes)
	require.NoError(t, d.Wipe())
	emptyDir(t, disk)
}
