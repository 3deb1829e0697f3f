//go:build unix

package tmpfs

import (
	"errors"
	"os"
	"syscall"
)

// canLock reports whether Sweep can tell a live directory from a stale one.
const canLock = true

// lock takes an exclusive advisory lock on the open directory f without
// waiting. It reports errLocked when another open file holds it.
func lock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errLocked
		default:
			return err
		}
	}
}

// openDir opens a directory for locking without following a final symlink.
func openDir(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
}
