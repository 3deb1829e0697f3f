package tmpfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Sweep removes the directories this package made under base (os.TempDir()
// when empty) whose owner is gone: an invocation killed by a timeout, a crash
// or an out-of-memory kill never wiped its directory, and the next cold start
// sweeps it. A directory is stale when nobody holds its lock; a live one — of
// a concurrent invocation, in this process or another — is left alone. Only
// directories that New could have made are considered: the exact name shape
// (Prefix, the sanitised name, 16 hex digits), no permission beyond 0700 and,
// on Unix, owned by this process's user. Everything else — symlinks, files,
// directories that merely start with Prefix — is never touched. A directory
// New has made but not yet locked, microseconds old, looks stale too and may
// be taken: New sees that and makes another, so no directory handed out is
// ever swept. Sweep returns how many directories it removed and every error
// it met.
func Sweep(base string) (removed int, err error) {
	if !canLock {
		return 0, nil
	}
	if base == "" {
		base = os.TempDir()
	}
	// Every candidate is opened, checked and removed through one Root on
	// base: a name swapped for a symlink cannot lead the removal out of it.
	br, err := os.OpenRoot(base)
	if err != nil {
		return 0, fmt.Errorf("tmpfs: sweep: %w", err)
	}
	defer br.Close()
	entries, err := fs.ReadDir(br.FS(), ".")
	if err != nil {
		return 0, fmt.Errorf("tmpfs: sweep: %w", err)
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !ownName(name) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		perm := info.Mode().Perm()
		if !ownDir(info) || perm&^0o700 != 0 {
			continue
		}
		ok, err := sweepOne(br, filepath.Join(base, name), name, perm)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			removed++
		}
	}
	return removed, errors.Join(errs...)
}

// testHookLocked, when set, runs in Sweep once a directory's lock is held,
// before the directory is opened to be cleared. Tests swap the name for
// something else there.
var testHookLocked func(path string)

// sweepOne removes the directory name in br (at p) if its lock can be taken.
// Whatever the name leads to by the time it is opened to be cleared, only
// the directory that was locked is emptied and removed: the lock is taken
// on a descriptor opened without following a symlink, and the Root that
// clears the directory must be that same directory.
func sweepOne(br *os.Root, p, name string, perm fs.FileMode) (bool, error) {
	lk, err := openDir(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("tmpfs: sweep %s: %w", p, err)
	}
	defer lk.Close()
	if err := lock(lk); err != nil {
		if errors.Is(err, errLocked) {
			return false, nil
		}
		return false, fmt.Errorf("tmpfs: sweep %s: %w", p, err)
	}
	id, err := lk.Stat()
	if err != nil {
		return false, fmt.Errorf("tmpfs: sweep %s: %w", p, err)
	}
	if !ownDir(id) || id.Mode().Perm() != perm || removed(id) {
		// Not the directory that was listed, or one its owner wiped and
		// unlocked between the open and the lock.
		return false, nil
	}
	if perm != 0o700 {
		// Left by a New that never finished giving it 0700 (under a umask
		// that takes owner bits), or by a handler that took its own
		// permissions away: given the mode it is cleared with through the
		// locked descriptor, so that it can be searched.
		if err := lk.Chmod(0o700); err != nil {
			return false, fmt.Errorf("tmpfs: sweep %s: %w", p, err)
		}
	}
	if testHookLocked != nil {
		testHookLocked(p)
	}
	// The Root that clears it is opened through the lock's descriptor where
	// the system names one (nothing put at the name, a FIFO included, is
	// opened then), and otherwise through br only if the name still leads
	// to the directory locked.
	var root *os.Root
	if fp := fdPath(lk); fp != "" {
		root, err = os.OpenRoot(fp)
	} else if replaced(br.Lstat, name, id) {
		return false, nil // someone else's now: not to be touched
	} else {
		root, err = br.OpenRoot(name)
	}
	if err != nil {
		if replaced(br.Lstat, name, id) {
			return false, nil // someone else's now: not to be touched
		}
		return false, fmt.Errorf("tmpfs: sweep %s: %w", p, err)
	}
	if err := sameDir(root, id); err != nil {
		_ = root.Close()
		if errors.Is(err, errReplaced) {
			return false, nil
		}
		return false, fmt.Errorf("tmpfs: sweep %s: %w", p, err)
	}
	err = clearDir(lk, func() (*os.Root, error) { return root, nil }, func() ([]string, error) { return rootNames(root) })
	_ = root.Close()
	if err != nil {
		if gone, _ := lk.Stat(); gone != nil && removed(gone) {
			return false, nil // removed meanwhile by whoever had it
		}
		return false, fmt.Errorf("tmpfs: sweep %s: %w", p, err)
	}
	if err := removeSame(br.Lstat, br.Remove, name, id); err != nil {
		if errors.Is(err, errReplaced) || errors.Is(err, fs.ErrNotExist) {
			return false, nil // emptied, but moved or replaced before its removal
		}
		return false, fmt.Errorf("tmpfs: sweep %s: %w", p, err)
	}
	return true, nil
}

// ownName reports whether name has the exact shape of the names New gives:
// the prefix, an optional sanitised name and dash, and 16 hex digits.
func ownName(name string) bool {
	rest, ok := strings.CutPrefix(name, Prefix)
	if !ok {
		return false
	}
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		if sanitize(rest[:i]) != rest[:i] {
			return false
		}
		rest = rest[i+1:]
	}
	return isHex16(rest)
}

func isHex16(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
