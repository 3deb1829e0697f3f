//go:build unix

package tmpfs

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// statAt looks at name in the directory f is open on, without following a
// symlink: one fstatat(2), relative to the descriptor, so that it is an
// entry of that very directory whatever its name leads to by now.
func statAt(f *os.File, name string) (entry, error) {
	var st unix.Stat_t
	err := ignoringEINTR(func() error { return unix.Fstatat(int(f.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW) })
	if err != nil {
		return entry{}, &fs.PathError{Op: "lstat", Path: name, Err: err}
	}
	e := entry{dir: st.Mode&unix.S_IFMT == unix.S_IFDIR}
	if st.Mode&unix.S_IFMT == unix.S_IFREG {
		e.bytes = st.Size
	}
	return e, nil
}

// removeAt removes name, anything but a directory, from the directory f is
// open on: one unlinkat(2), relative to the descriptor. It removes a symlink
// itself, never its target. A directory is refused (EISDIR on Linux, EPERM
// elsewhere), for clearDir to remove through a Root.
func removeAt(f *os.File, name string) error {
	err := ignoringEINTR(func() error { return unix.Unlinkat(int(f.Fd()), name, 0) })
	if err != nil {
		return &fs.PathError{Op: "unlinkat", Path: name, Err: err}
	}
	return nil
}
