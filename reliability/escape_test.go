package reliability_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/tmpfs"
)

// linksOut fills dir with every kind of link to the sentinel tree out: to
// files and directories, absolute and relative, through chains of links,
// hard links, and read-only directories whose contents are links (so the
// wipe has to chmod its way in without chmodding the targets).
func linksOut(t *testing.T, dir, out string) {
	t.Helper()
	rel, err := filepath.Rel(dir, out)
	require.NoError(t, err)
	must := func(err error) { t.Helper(); require.NoError(t, err) }
	must(os.Symlink(out, filepath.Join(dir, "dirlink")))
	must(os.Symlink(rel, filepath.Join(dir, "reldirlink")))
	must(os.Symlink(filepath.Join(out, "secret"), filepath.Join(dir, "filelink")))
	must(os.Symlink(filepath.Join(out, "readonly"), filepath.Join(dir, "rolink")))
	must(os.Symlink("dirlink", filepath.Join(dir, "chain")))
	must(os.Link(filepath.Join(out, "secret"), filepath.Join(dir, "hardlink")))
	must(os.Link(filepath.Join(out, "readonly"), filepath.Join(dir, "rohardlink")))
	must(os.MkdirAll(filepath.Join(dir, "a", "b"), 0o700))
	must(os.Symlink("../../../../../../../../..", filepath.Join(dir, "a", "b", "up")))
	must(os.Symlink(filepath.Join(out, "nested"), filepath.Join(dir, "a", "nested")))
	must(os.Symlink("/", filepath.Join(dir, "a", "root")))
	must(os.Mkdir(filepath.Join(dir, "locked"), 0o700))
	must(os.Symlink(out, filepath.Join(dir, "locked", "out")))
	must(os.Link(filepath.Join(out, "nested", "deeper", "also"), filepath.Join(dir, "locked", "hard")))
	must(os.Chmod(filepath.Join(dir, "locked"), 0o500))
}

// TestWipeLeavesLinkTargetsIntact wipes (and, for a directory a killed
// process left, sweeps) a directory full of symlinks and hard links to a
// sentinel tree outside: the tree's checksum — names, modes, contents, link
// targets — is the same afterwards.
func TestWipeLeavesLinkTargetsIntact(t *testing.T) {
	out := sentinelTree(t)
	before := checksum(t, out)
	base := t.TempDir()

	d, err := tmpfs.New(base, "links")
	require.NoError(t, err)
	linksOut(t, d.Path(), out)
	require.NoError(t, d.Wipe())
	gone(t, d.Path())

	stale := filepath.Join(base, tmpfs.Prefix+"killed-0123456789abcdef")
	require.NoError(t, os.Mkdir(stale, 0o700))
	linksOut(t, stale, out)
	n, err := tmpfs.Sweep(base)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	gone(t, stale)

	emptyDir(t, base)
	assert.Equal(t, before, checksum(t, out), "the tree outside is byte-for-byte intact")
}

// TestWipeRaceSymlinkSwap wipes a directory while another goroutine keeps
// swapping its subdirectories for symlinks to a sentinel directory outside
// (and back), the classic time-of-check/time-of-use attack on recursive
// removal. Whatever the interleaving, nothing outside is removed or changed.
// The wipe may report an error — the attacker keeps adding entries — but it
// never follows a link.
func TestWipeRaceSymlinkSwap(t *testing.T) {
	out := sentinelTree(t)
	before := checksum(t, out)
	base := t.TempDir()
	rounds := 30
	if testing.Short() {
		rounds = 5
	}
	var swaps atomic.Int64
	for round := range rounds {
		d, err := tmpfs.New(base, "race")
		require.NoError(t, err)
		p := d.Path()
		// Enough entries that the wipe takes a while, each victim a
		// directory with files in it, as a recursive removal descends.
		const victims = 8
		for i := range victims {
			v := filepath.Join(p, fmt.Sprintf("v%d", i))
			require.NoError(t, os.MkdirAll(filepath.Join(v, "sub"), 0o700))
			for j := range 50 {
				require.NoError(t, os.WriteFile(filepath.Join(v, fmt.Sprintf("f%02d", j)), nil, 0o600))
				require.NoError(t, os.WriteFile(filepath.Join(v, "sub", fmt.Sprintf("f%02d", j)), nil, 0o600))
			}
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				v := filepath.Join(p, fmt.Sprintf("v%d", i%victims))
				aside := filepath.Join(p, fmt.Sprintf("aside%d-%d", round, i))
				// Move the directory away and put a link to the outside
				// in its place; next time round, a directory again.
				if os.Rename(v, aside) == nil {
					if os.Symlink(out, v) == nil {
						swaps.Add(1)
					}
				}
				// The attacker must not itself write through a link it
				// planted: only touch sub below a real directory.
				w := filepath.Join(p, fmt.Sprintf("v%d", (i+3)%victims))
				if info, err := os.Lstat(w); err != nil || !info.IsDir() {
					continue
				}
				sub := filepath.Join(w, "sub")
				_ = os.Remove(sub)
				if os.Symlink(filepath.Join(out, "nested"), sub) == nil {
					swaps.Add(1)
				}
			}
		}()
		_ = d.Wipe() // may fail: the attacker keeps writing
		close(stop)
		wg.Wait()
		require.Equal(t, before, checksum(t, out), "round %d: the tree outside changed", round)
		require.NoError(t, os.RemoveAll(p)) // os.RemoveAll does not follow links either
	}
	assert.Positive(t, swaps.Load(), "the attacker got to swap")
	assert.Equal(t, before, checksum(t, out))
}
