package tmpfs_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lambdaguard/lambdaguard/tmpfs"
)

// After the last Usage the handler (or a goroutine it left) changes the
// directory in hostile ways; Wipe, which starts from that Usage's listing,
// leaves nothing of it and touches nothing outside. Run as a user that is
// not root too (.ci/run does), where permissions hold.
func TestWipeAfterHostileChangesSinceUsage(t *testing.T) {
	for name, after := range map[string]func(t *testing.T, d *tmpfs.Dir, out string){
		"late files then dir 0500": func(t *testing.T, d *tmpfs.Dir, out string) {
			_ = d.Root().WriteFile("late", nil, 0o600)
			_ = os.Chmod(d.Path(), 0o500)
		},
		"dir 0000": func(t *testing.T, d *tmpfs.Dir, out string) {
			_ = d.Root().WriteFile("late", nil, 0o600)
			_ = os.Chmod(d.Path(), 0)
		},
		"seen name now a read-only tree": func(t *testing.T, d *tmpfs.Dir, out string) {
			_ = d.Root().Remove("a")
			_ = d.Root().MkdirAll("a/b/c", 0o700)
			_ = d.Root().WriteFile("a/b/c/f", nil, 0o400)
			_ = os.Chmod(filepath.Join(d.Path(), "a/b/c"), 0o500)
			_ = os.Chmod(filepath.Join(d.Path(), "a/b"), 0o500)
			_ = os.Chmod(filepath.Join(d.Path(), "a"), 0o500)
		},
		"seen name now a symlink out": func(t *testing.T, d *tmpfs.Dir, out string) {
			_ = d.Root().Remove("a")
			_ = os.Symlink(out, filepath.Join(d.Path(), "a"))
		},
		"moved out and back": func(t *testing.T, d *tmpfs.Dir, out string) {
			_ = os.Rename(d.Path(), d.Path()+"x")
			_ = os.WriteFile(filepath.Join(d.Path()+"x", "late"), nil, 0o600)
			_ = os.Rename(d.Path()+"x", d.Path())
		},
		"seen emptied, new one late": func(t *testing.T, d *tmpfs.Dir, out string) {
			_ = d.Root().Remove("a")
			_ = d.Root().Mkdir("zz", 0o700)
			_ = d.Root().WriteFile("zz/f", nil, 0o600)
		},
	} {
		t.Run(name, func(t *testing.T) {
			base := t.TempDir()
			out := t.TempDir()
			if err := os.WriteFile(filepath.Join(out, "keep"), []byte("k"), 0o600); err != nil {
				t.Fatal(err)
			}
			d, err := tmpfs.New(base, "w")
			if err != nil {
				t.Fatal(err)
			}
			_ = d.Root().WriteFile("a", []byte("x"), 0o600)
			if _, err := d.Usage(); err != nil {
				t.Fatal(err)
			}
			after(t, d, out)
			if err := d.Wipe(); err != nil {
				t.Errorf("Wipe: %v", err)
			}
			if es, _ := os.ReadDir(base); len(es) != 0 {
				t.Errorf("left in base: %v", es)
			}
			if _, err := os.Stat(filepath.Join(out, "keep")); err != nil {
				t.Errorf("outside touched: %v", err)
			}
		})
	}
}
