package tmpfs_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/tmpfs"
)

// TestSweeperProcess is TestSweepFromOtherProcesses's helper: with
// TMPFS_SWEEP_BASE set it sweeps that base until it is killed.
func TestSweeperProcess(t *testing.T) {
	base := os.Getenv("TMPFS_SWEEP_BASE")
	if base == "" {
		t.Skip("a helper of TestSweepFromOtherProcesses")
	}
	for {
		_, _ = tmpfs.Sweep(base)
	}
}

// TestSweepFromOtherProcesses: two other processes (cold starts sharing the
// base) and this one sweep over and over while eight goroutines make, use
// and wipe directories: every directory handed out keeps what is written to
// it until its Wipe, and nothing is left at the end.
func TestSweepFromOtherProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs sweeping processes for a second and a half")
	}
	base := t.TempDir()
	var procs []*exec.Cmd
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSweeperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), "TMPFS_SWEEP_BASE="+base)
		require.NoError(t, cmd.Start())
		procs = append(procs, cmd)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	var made, swept atomic.Int64
	wg.Go(func() {
		for ctx.Err() == nil {
			n, _ := tmpfs.Sweep(base)
			swept.Add(int64(n))
		}
	})
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				d, err := tmpfs.New(base, "r"+strconv.Itoa(g))
				if !assert.NoError(t, err) {
					return
				}
				made.Add(1)
				p := d.Path()
				assert.NoError(t, os.Mkdir(filepath.Join(p, "sub"), 0o700))
				assert.NoError(t, os.WriteFile(filepath.Join(p, "sub", "f"), []byte("abc"), 0o600))
				if i%2 == 0 {
					time.Sleep(time.Millisecond) // for sweeps to pass over it
				}
				u, err := d.Usage()
				assert.NoError(t, err)
				assert.Equal(t, tmpfs.Usage{Bytes: 3, Files: 1, Dirs: 1}, u, "a directory handed out was swept")
				assert.NoError(t, d.Wipe())
				_, err = os.Lstat(p)
				assert.ErrorIs(t, err, os.ErrNotExist)
			}
		})
	}
	wg.Wait()
	for _, c := range procs {
		_ = c.Process.Signal(syscall.SIGKILL)
		_ = c.Wait()
	}
	t.Logf("%d directories made; this process's sweeps took %d before their lock", made.Load(), swept.Load())
	_, err := tmpfs.Sweep(base)
	require.NoError(t, err)
	entries, err := os.ReadDir(base)
	require.NoError(t, err)
	assert.Empty(t, entries)
}
