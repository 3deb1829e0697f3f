package tmpfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// ErrWiped is returned by a Dir's methods after Wipe.
var ErrWiped = errors.New("tmpfs: directory wiped")

var errLocked = errors.New("tmpfs: directory in use")

// Dir is one invocation's directory. Its methods are safe for concurrent use.
type Dir struct {
	path string
	lock *os.File    // holds the flock that tells Sweep the directory is live
	id   fs.FileInfo // the locked directory's Stat: what root and path must be

	mu     sync.Mutex
	root   *os.Root
	wiped  bool
	listed bool     // lock has been read as a directory: rewind before reading again
	seen   []string // what the latest Usage listed, for Wipe to start from
}

// New makes a directory under base (os.TempDir() when base is empty) named
// Prefix + a sanitised form of name + a random suffix, with mode 0700. name
// may come from untrusted input such as a request id: it cannot steer the
// directory out of base or make it hidden. base must exist.
//
// The caller owns the Dir and must call Wipe when done; until then the
// directory is locked against Sweep.
func New(base, name string) (*Dir, error) {
	if base == "" {
		base = os.TempDir()
	}
	base, err := filepath.Abs(base)
	if err != nil {
		return nil, fmt.Errorf("tmpfs: base: %w", err)
	}
	// Made with the set-up mode, then locked, then given mode 0700: Sweep
	// takes a directory for one a killed invocation left only when it has
	// mode 0700 and nobody holds its lock, so it never takes one being set
	// up; one left half set up (a crash between the mkdir and the chmod) is
	// swept once it is older than setupGrace.
	final := filepath.Join(base, dirName(name))
	if err := os.Mkdir(final, setupMode); err != nil {
		return nil, fmt.Errorf("tmpfs: %w", err)
	}
	lk, err := openDir(final)
	if err != nil {
		_ = os.Remove(final)
		return nil, fmt.Errorf("tmpfs: %w", err)
	}
	if err := lock(lk); err != nil {
		_ = lk.Close()
		_ = os.Remove(final)
		return nil, fmt.Errorf("tmpfs: lock %s: %w", final, err)
	}
	id, err := lk.Stat()
	if err == nil && !madeHere(id) {
		// Another directory was put at the name between the mkdir and the
		// open: not ours to use, nor to remove.
		_ = lk.Close()
		return nil, fmt.Errorf("tmpfs: %s: %w", final, errReplaced)
	}
	if err == nil {
		err = ready(lk)
	}
	if err != nil {
		if id != nil {
			_ = removeSame(os.Lstat, os.Remove, final, id)
		} else {
			_ = os.Remove(final)
		}
		_ = lk.Close()
		return nil, fmt.Errorf("tmpfs: %w", err)
	}
	if testHookLocked != nil {
		testHookLocked(final)
	}
	// The Root handed out must be the directory made and locked above, not
	// whatever the name leads to by now.
	root, err := os.OpenRoot(final)
	if err == nil {
		if err = sameDir(root, id); err != nil {
			_ = root.Close()
		}
	}
	if err != nil {
		_ = removeSame(os.Lstat, os.Remove, final, id)
		_ = lk.Close()
		if errors.Is(err, errReplaced) {
			err = fmt.Errorf("%s: %w", final, err)
		}
		return nil, fmt.Errorf("tmpfs: %w", err)
	}
	return &Dir{path: final, lock: lk, id: id, root: root}, nil
}

// Path returns the directory's absolute path. Prefer Root for anything built
// from untrusted names: a path joined by hand follows symlinks.
func (d *Dir) Path() string { return d.path }

// Root returns an os.Root on the directory: nothing opened through it can
// escape the directory, symlinks included. The Root belongs to the Dir; it is
// closed by Wipe and must not be closed by the caller: Wipe removes the
// directory through it. It is nil after Wipe. Use OpenRoot for a Root to
// hand on to code that may close it.
func (d *Dir) Root() *os.Root {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.root
}

// OpenRoot opens a new os.Root on the directory, for a caller to own and
// close when done with it; closing it leaves the Dir and its own Root alone,
// and Wipe does not depend on it. It is opened through the Dir's own Root,
// not by path, so it is the directory that was made and locked even if its
// name has been given to something else meanwhile. After Wipe it returns
// ErrWiped. A Root still open after Wipe refers to the removed directory:
// nothing can be created through it.
func (d *Dir) OpenRoot() (*os.Root, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.wiped {
		return nil, ErrWiped
	}
	r, err := d.root.OpenRoot(".")
	if err != nil {
		return nil, fmt.Errorf("tmpfs: %w", err)
	}
	return r, nil
}

// Usage is what a directory holds.
type Usage struct {
	Bytes int64 // sum of the sizes of regular files
	Files int   // entries other than directories: files, links, sockets...
	Dirs  int   // subdirectories, not counting the directory itself
}

// Usage walks the directory without following symlinks and returns what it
// holds. Entries that vanish during the walk are skipped.
func (d *Dir) Usage() (Usage, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.wiped {
		return Usage{}, ErrWiped
	}
	var u Usage
	names, err := d.names()
	d.seen = names
	if err != nil {
		return u, fmt.Errorf("tmpfs: usage of %s: %w", d.path, err)
	}
	for _, name := range names {
		info, err := d.root.Lstat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return u, fmt.Errorf("tmpfs: usage of %s: %w", d.path, err)
		}
		if !info.IsDir() {
			u.Files++
			if info.Mode().IsRegular() {
				u.Bytes += info.Size()
			}
			continue
		}
		u.Dirs++
		if err := u.walk(d.root, name); err != nil {
			return u, fmt.Errorf("tmpfs: usage of %s: %w", d.path, err)
		}
	}
	return u, nil
}

// walk adds what the subdirectory dir of root holds, without following
// symlinks; entries that vanish meanwhile are skipped.
func (u *Usage) walk(root *os.Root, dir string) error {
	return fs.WalkDir(root.FS(), dir, func(p string, e fs.DirEntry, err error) error {
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return err
		case p == dir:
		case e.IsDir():
			u.Dirs++
		default:
			u.Files++
			if e.Type().IsRegular() {
				if info, err := e.Info(); err == nil {
					u.Bytes += info.Size()
				}
			}
		}
		return nil
	})
}

// names lists the directory's entries through the locked descriptor, which
// is open on the very directory New made (whatever its name leads to by
// now): a listing that opens nothing. Where the descriptor cannot be
// rewound for a second listing, the Root is listed instead.
func (d *Dir) names() ([]string, error) {
	if d.listed {
		if _, err := d.lock.Seek(0, io.SeekStart); err != nil {
			return rootNames(d.root)
		}
	}
	d.listed = true
	return d.lock.Readdirnames(-1)
}

// Wipe removes everything in the directory and the directory itself, and
// releases its lock. It never follows a symlink: a link to something outside
// is removed, its target kept. Read-only files and directories are made
// writable first, inside the directory only. If the directory was moved
// away, or its name given to something else, Wipe still empties the
// directory it made, leaves the name alone and reports it. Wipe is
// idempotent; the first call's error is what it reports, and later calls
// return nil.
func (d *Dir) Wipe() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.wiped {
		return nil
	}
	d.wiped = true
	// What Usage listed just before (the guard measures, then wipes) is
	// removed without listing again; anything made since is found when the
	// directory turns out not to be empty, and removed from a new listing.
	list, cached := d.names, d.seen != nil
	if cached {
		list = func() ([]string, error) { return d.seen, nil }
	}
	errs := []error{clearRoot(d.root, d.lock, list)}
	// The directory is empty now. Its name is removed only while it still
	// leads to that directory: one moved away and replaced (by a symlink,
	// or by another directory) is not ours to remove. rmdir does not follow
	// a symlink, and fails on a non-empty directory.
	err := removeSame(os.Lstat, rmdir, d.path, d.id)
	if cached && err != nil {
		// Not empty, or no longer at its name: either way the directory
		// made is emptied from a listing of its own.
		errs[0] = clearRoot(d.root, d.lock, d.names)
		if !errors.Is(err, errReplaced) && !errors.Is(err, fs.ErrNotExist) {
			err = removeSame(os.Lstat, rmdir, d.path, d.id)
		}
	}
	switch {
	case errors.Is(err, errReplaced):
		errs = append(errs, fmt.Errorf("%w; left in place", err))
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		errs = append(errs, err)
	}
	errs = append(errs, d.root.Close(), d.lock.Close())
	d.root = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("tmpfs: wipe %s: %w", d.path, err)
	}
	return nil
}
