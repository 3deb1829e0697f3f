package tmpfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// stagingGrace is how old a directory still being set up must be before Sweep
// treats it as abandoned.
const stagingGrace = time.Minute

// Sweep removes the directories this package made under base (os.TempDir()
// when empty) whose owner is gone: an invocation killed by a timeout, a crash
// or an out-of-memory kill never wiped its directory, and the next cold start
// sweeps it. A directory is stale when nobody holds its lock; a live one — of
// a concurrent invocation, in this process or another — is left alone. Only
// directories that New could have made are considered: the exact name shape
// (Prefix, the sanitised name, 16 hex digits), mode 0700 and, on Unix, owned
// by this process's user. Everything else — symlinks, files, directories that
// merely start with Prefix — is never touched.
// Sweep returns how many directories it removed and every error it met.
func Sweep(base string) (removed int, err error) {
	if !canLock {
		return 0, nil
	}
	if base == "" {
		base = os.TempDir()
	}
	entries, err := os.ReadDir(base)
	if err != nil {
		return 0, fmt.Errorf("tmpfs: sweep: %w", err)
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		staging := strings.HasPrefix(name, newPrefix)
		if !e.IsDir() || !ownName(name) {
			continue
		}
		if staging {
			info, err := e.Info()
			if err != nil || time.Since(info.ModTime()) < stagingGrace {
				continue
			}
		}
		if info, err := e.Info(); err != nil || !ownDir(info) {
			continue
		}
		ok, err := sweepOne(filepath.Join(base, name))
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			removed++
		}
	}
	return removed, errors.Join(errs...)
}

// sweepOne removes the directory at p if its lock can be taken.
func sweepOne(p string) (bool, error) {
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
	root, err := os.OpenRoot(p)
	if err != nil {
		return false, fmt.Errorf("tmpfs: sweep %s: %w", p, err)
	}
	err = clearRoot(root)
	_ = root.Close()
	if err == nil {
		err = os.Remove(p)
	}
	if err != nil {
		return false, fmt.Errorf("tmpfs: sweep %s: %w", p, err)
	}
	return true, nil
}

// ownName reports whether name has the exact shape of the names New gives:
// the prefix, an optional sanitised name and dash, and 16 hex digits.
func ownName(name string) bool {
	var rest string
	switch {
	case strings.HasPrefix(name, newPrefix):
		rest = name[len(newPrefix):]
		return isHex16(rest)
	case strings.HasPrefix(name, Prefix):
		rest = name[len(Prefix):]
	default:
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
