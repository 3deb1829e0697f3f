//go:build unix

package tmpfs

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// canLock reports whether Sweep can tell a live directory from a stale one.
const canLock = true

// lock takes an exclusive advisory lock on the open directory f without
// waiting. It reports errLocked when another open file holds it.
func lock(f *os.File) error {
	err := ignoringEINTR(func() error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) })
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errLocked
	}
	return err
}

// openDir opens a directory for locking without following a final symlink.
// It is opened with open(2) and handed to os.NewFile, not with os.OpenFile:
// a directory cannot be polled, and os.OpenFile would spend four fcntl and
// an epoll_ctl finding that out.
func openDir(path string) (*os.File, error) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// rmdir removes an empty directory with one rmdir(2); os.Remove tries
// unlink(2) first. Like os.Remove it does not follow a symlink, and fails on
// a directory that is not empty.
func rmdir(path string) error {
	if err := ignoringEINTR(func() error { return syscall.Rmdir(path) }); err != nil {
		return &fs.PathError{Op: "remove", Path: path, Err: err}
	}
	return nil
}

// ignoringEINTR calls fn again for as long as a signal interrupts it.
func ignoringEINTR(fn func() error) error {
	for {
		if err := fn(); !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
