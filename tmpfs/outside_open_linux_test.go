package tmpfs_test

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/lambdaguard/lambdaguard/tmpfs"
)

// dirOpened watches dir with inotify and returns a function that reports
// whether dir itself was opened (IN_OPEN|IN_ISDIR with no name) since.
func dirOpened(t *testing.T, dir string) func() bool {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_OPEN); err != nil {
		t.Fatal(err)
	}
	return func() bool {
		buf := make([]byte, 64*1024)
		n, _ := unix.Read(fd, buf)
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			if ev.Mask&unix.IN_OPEN != 0 && ev.Mask&unix.IN_ISDIR != 0 && ev.Len == 0 {
				return true
			}
			off += unix.SizeofInotifyEvent + int(ev.Len)
		}
		return false
	}
}

// TestNothingOpensWhatTheNameLeadsTo: the handler moves its directory away
// and puts a symlink to a directory elsewhere at its name. Neither the wipe,
// the measure, Root nor OpenRoot opens that directory, not even to find out
// it is not theirs (an open of a directory can mount it, on autofs, or wait
// on a FUSE daemon): inotify watches it for an open.
func TestNothingOpensWhatTheNameLeadsTo(t *testing.T) {
	for _, op := range []string{"Wipe", "Usage", "Root", "OpenRoot"} {
		t.Run(op, func(t *testing.T) {
			base := t.TempDir()
			outside := t.TempDir()
			opened := dirOpened(t, outside)
			d, err := tmpfs.New(base, "req")
			if err != nil {
				t.Fatal(err)
			}
			defer d.Wipe()
			if err := os.Mkdir(filepath.Join(d.Path(), "sub"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(d.Path(), filepath.Join(base, "aside")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(outside, d.Path()); err != nil {
				t.Fatal(err)
			}
			opened() // drain
			switch op {
			case "Wipe":
				_ = d.Wipe()
			case "Usage":
				_, _ = d.Usage()
			case "Root":
				_ = d.Root()
			case "OpenRoot":
				if r, err := d.OpenRoot(); err == nil {
					r.Close()
				}
			}
			if opened() {
				t.Errorf("%s opened %s, outside its directory, through the symlink at %s", op, outside, d.Path())
			}
		})
	}
}
