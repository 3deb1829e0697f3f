package tmpfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// victimDir makes a directory outside base with a file in it and returns a
// check that the file is still there.
func victimDir(t *testing.T) (dir string, intact func() bool) {
	t.Helper()
	dir = t.TempDir()
	f := filepath.Join(dir, "precious")
	if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, func() bool {
		_, err := os.Stat(f)
		return err == nil
	}
}

// onLocked sets testHookLocked for the rest of the test.
func onLocked(t *testing.T, f func(path string)) {
	t.Helper()
	testHookLocked = f
	t.Cleanup(func() { testHookLocked = nil })
}

// TestSweepRaceSymlinkSwap keeps swapping a stale directory's name for a
// symlink to a directory outside base (and back) while Sweep runs: the lock
// is taken on the real directory, and what is cleared must be that directory,
// never the symlink's target. Bounded by a round count and a time budget.
func TestSweepRaceSymlinkSwap(t *testing.T) {
	base := t.TempDir()
	victim, intact := victimDir(t)
	budget := 3 * time.Second
	if testing.Short() {
		budget = 500 * time.Millisecond
	}
	stop := time.Now().Add(budget)
	p := filepath.Join(base, Prefix+"x-0123456789abcdef")
	for round := 0; round < 1000 && time.Now().Before(stop); round++ {
		if err := os.WriteFile(filepath.Join(victim, "precious"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		_ = os.Mkdir(p, 0o700)
		done := make(chan struct{})
		go func() {
			defer close(done)
			tmp := p + ".moved"
			for range 500 {
				if os.Rename(p, tmp) != nil {
					return // swept
				}
				_ = os.Symlink(victim, p)
				_ = os.Remove(p)
				if os.Rename(tmp, p) != nil {
					return
				}
			}
		}()
		for range 500 {
			_, _ = Sweep(base)
			if !intact() {
				<-done
				t.Fatalf("Sweep followed a symlink swapped in for a stale directory and emptied %s", victim)
			}
		}
		<-done
		_ = os.RemoveAll(p + ".moved")
		_ = os.Remove(p)
	}
}

// TestSweepLeavesSwappedName swaps a stale directory's name for something
// else once Sweep holds its lock: Sweep removes nothing and reports nothing,
// whatever the name leads to now.
func TestSweepLeavesSwappedName(t *testing.T) {
	for _, tc := range []struct {
		name  string
		place func(t *testing.T, base, p string) (intact func() bool)
	}{
		{"symlink out of base", func(t *testing.T, base, p string) func() bool {
			victim, intact := victimDir(t)
			must(t, os.Symlink(victim, p))
			return intact
		}},
		{"symlink within base", func(t *testing.T, base, p string) func() bool {
			other := filepath.Join(base, "someone-else")
			must(t, os.Mkdir(other, 0o700))
			must(t, os.WriteFile(filepath.Join(other, "keep"), nil, 0o600))
			must(t, os.Symlink("someone-else", p))
			return func() bool { _, err := os.Stat(filepath.Join(other, "keep")); return err == nil }
		}},
		{"another directory", func(t *testing.T, base, p string) func() bool {
			must(t, os.Mkdir(p, 0o700))
			must(t, os.WriteFile(filepath.Join(p, "keep"), nil, 0o600))
			return func() bool { _, err := os.Stat(filepath.Join(p, "keep")); return err == nil }
		}},
		{"an empty directory", func(t *testing.T, base, p string) func() bool {
			must(t, os.Mkdir(p, 0o700))
			return func() bool { info, err := os.Lstat(p); return err == nil && info.IsDir() }
		}},
		{"nothing", func(t *testing.T, base, p string) func() bool {
			return func() bool { return true }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !canLock {
				t.Skip("Sweep removes nothing without flock")
			}
			base := t.TempDir()
			p := filepath.Join(base, Prefix+"killed-0123456789abcdef")
			must(t, os.Mkdir(p, 0o700))
			must(t, os.WriteFile(filepath.Join(p, "stale"), nil, 0o600))
			var intact func() bool
			onLocked(t, func(string) {
				must(t, os.Rename(p, p+".aside"))
				intact = tc.place(t, base, p)
			})
			n, err := Sweep(base)
			if err != nil || n != 0 {
				t.Fatalf("Sweep = %d, %v; want 0, nil", n, err)
			}
			if intact == nil || !intact() {
				t.Fatalf("Sweep touched what was put in place of the locked directory")
			}
		})
	}
}

// TestRootAfterTheNameIsSwapped swaps the new directory's name for a
// symlink to a directory outside base before anything has opened a Root on
// it: Root and OpenRoot, which open by name, refuse it rather than open the
// symlink's target; Wipe empties the directory made, subdirectory and all
// (through its descriptor, or, without /proc, the Root New opened), and
// reports the name.
func TestRootAfterTheNameIsSwapped(t *testing.T) {
	base := t.TempDir()
	victim, intact := victimDir(t)
	d, err := New(base, "swapped")
	must(t, err)
	p := d.Path()
	must(t, os.MkdirAll(filepath.Join(p, "sub"), 0o700))
	must(t, os.WriteFile(filepath.Join(p, "sub", "mine"), []byte("x"), 0o600))
	must(t, os.Rename(p, p+".aside"))
	must(t, os.Symlink(victim, p))

	if fdPath(d.lock) != "" && d.Root() != nil {
		t.Fatal("Root opened what the name leads to now")
	}
	if r, err := d.OpenRoot(); !errors.Is(err, errReplaced) {
		if r != nil {
			_ = r.Close()
		}
		t.Fatalf("OpenRoot = %v; want errReplaced", err)
	}
	if err := d.Wipe(); !errors.Is(err, errReplaced) {
		t.Fatalf("Wipe = %v; want errReplaced", err)
	}
	if entries, err := os.ReadDir(p + ".aside"); err != nil || len(entries) != 0 {
		t.Fatalf("the moved directory is not empty: %v, %v", entries, err)
	}
	if !intact() {
		t.Fatalf("the Root or the wipe reached %s", victim)
	}
}

// TestWipeLeavesReplacedName moves a live directory away and puts an empty
// directory, or a symlink, in its place: Wipe empties the directory it made
// (through its Root, wherever it is now) and leaves the name alone.
func TestWipeLeavesReplacedName(t *testing.T) {
	for _, link := range []bool{false, true} {
		base := t.TempDir()
		d, err := New(base, "moved")
		must(t, err)
		p := d.Path()
		must(t, d.Root().WriteFile("data", []byte("x"), 0o600))
		must(t, os.Rename(p, p+".aside"))
		if link {
			victim, intact := victimDir(t)
			must(t, os.Symlink(victim, p))
			defer func() {
				if !intact() {
					t.Errorf("Wipe reached %s through a symlink", victim)
				}
			}()
		} else {
			must(t, os.Mkdir(p, 0o700))
		}
		if err := d.Wipe(); !errors.Is(err, errReplaced) {
			t.Fatalf("Wipe = %v; want errReplaced", err)
		}
		if _, err := os.Lstat(p); err != nil {
			t.Fatalf("Wipe removed what was put in place of its directory: %v", err)
		}
		if entries, err := os.ReadDir(p + ".aside"); err != nil || len(entries) != 0 {
			t.Fatalf("the moved directory is not empty: %v, %v", entries, err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
