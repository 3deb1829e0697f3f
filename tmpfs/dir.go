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
	root   *os.Root // opened when first needed (see rootLocked)
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
	// Between its mkdir and its lock a directory looks to Sweep like one a
	// killed invocation left, and a Sweep running then (a cold start beside
	// this process's invocations, or another process's) may take it. New
	// finds that out (the lock is held, or the directory is gone) and makes
	// another; a directory handed out is locked, and no Sweep touches it.
	for try := 1; ; try++ {
		d, err := newDir(filepath.Join(base, dirName(name)))
		if err == nil {
			return d, nil
		}
		if !errors.Is(err, errSwept) {
			return nil, fmt.Errorf("tmpfs: %w", err)
		}
		if try == newAttempts {
			return nil, fmt.Errorf("tmpfs: %d directories in a row, the last %w", newAttempts, err)
		}
	}
}

// newAttempts is how many directories New makes before it gives up on
// Sweeps taking each before it is locked. A Sweep pass lists the base once,
// at its start, so one pass can take a given New's directory only if it
// began after that directory's mkdir: a cold start's single pass costs a
// New at most one more directory. Only Sweeps run back to back, from
// several processes at once, take more (a test does that, on two cores:
// eight attempts were once not enough there).
const newAttempts = 64

// errSwept means a Sweep took the directory New had just made before New
// could lock it.
var errSwept = errors.New("taken before it could be locked (by a concurrent Sweep, or whoever else holds its lock)")

// testHookMade, when set, runs in New after the mkdir, and testHookOpened
// after the open, before the lock: tests run a Sweep there.
var testHookMade, testHookOpened func(path string)

// newDir makes, opens and locks the directory final. Its errors name the
// directory; New says they are tmpfs's.
func newDir(final string) (*Dir, error) {
	if err := os.Mkdir(final, 0o700); err != nil {
		return nil, err
	}
	if testHookMade != nil {
		testHookMade(final)
	}
	lk, err := openDir(final)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, at(final, errSwept)
		}
		// rmdir, not os.Remove: whatever is at the name by now, only an
		// empty directory goes, never a file or a link put there.
		_ = rmdir(final)
		return nil, err
	}
	if testHookOpened != nil {
		testHookOpened(final)
	}
	if err := lock(lk); err != nil {
		_ = lk.Close()
		if errors.Is(err, errLocked) {
			return nil, at(final, errSwept) // a Sweep holds it, and removes it
		}
		_ = rmdir(final)
		return nil, at(final, err)
	}
	id, err := lk.Stat()
	switch {
	case err != nil:
		_ = rmdir(final)
	case removed(id):
		// A Sweep locked, emptied and removed it between the open and
		// the lock.
		err = at(final, errSwept)
	case !madeHere(id):
		// Another directory was put at the name between the mkdir and the
		// open: not ours to use, nor to remove.
		err = at(final, errReplaced)
	}
	if err != nil {
		_ = lk.Close()
		return nil, err
	}
	d := &Dir{path: final, lock: lk, id: id}
	if id.Mode().Perm() != 0o700 {
		// What the umask left of 0700, made whole through the locked
		// descriptor.
		err = lk.Chmod(0o700)
	}
	if err == nil && fdPath(lk) == "" {
		// No name for the descriptor: the Dir's own Root, which Usage
		// and Wipe may need once the handler has moved the directory
		// away, is opened now, while the name still leads to it. Where a
		// removed directory's Stat does not tell (removed), a Sweep's
		// removal shows here.
		d.mu.Lock()
		_, err = d.rootLocked()
		d.mu.Unlock()
		if errors.Is(err, fs.ErrNotExist) {
			_ = lk.Close()
			return nil, at(final, errSwept)
		}
	}
	if err != nil {
		_ = removeSame(os.Lstat, rmdir, final, id)
		_ = lk.Close()
		return nil, err
	}
	return d, nil
}

// at names the directory p in err.
func at(p string, err error) error { return fmt.Errorf("%s: %w", p, err) }

// Path returns the directory's absolute path. Prefer Root for anything built
// from untrusted names: a path joined by hand follows symlinks.
func (d *Dir) Path() string { return d.path }

// Root returns an os.Root on the directory: nothing opened through it can
// escape the directory, symlinks included. The Root belongs to the Dir; it is
// closed by Wipe and must not be closed by the caller: Wipe removes the
// directory through it. Use OpenRoot for a Root to hand on to code that may
// close it.
//
// The Root is opened on first use, by the directory's name, as OpenRoot
// opens one; should the directory have been made unreadable meanwhile, Root
// gives it mode 0700 back first. Root is nil after Wipe, and when the name
// no longer leads to the directory (it has been moved away or replaced)
// before the first call.
func (d *Dir) Root() *os.Root {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.wiped {
		return nil
	}
	if d.root == nil {
		r, err := d.readable(func() (*os.Root, error) { return openByName(d.path, d.id) })
		if err != nil {
			return nil
		}
		d.root = r
	}
	return d.root
}

// rootLocked returns the Dir's own Root, for Usage and Wipe, opening it on
// first use. Most invocations never need it: what they write is measured
// and removed through the locked descriptor (see statAt and removeAt). It is
// opened through that descriptor's /proc/self/fd entry (proc(5)), whose link
// leads to the open directory itself, never by the name, which the handler
// may have moved or replaced: opening what the name leads to would open
// that, a directory elsewhere or one that blocks. A directory made
// unreadable is given mode 0700 back through the descriptor first. Where
// there is no /proc, New opened it at once by name (see newDir). A Root
// opened this way is never handed out: its name would lead, after Wipe, to
// whatever reuses the descriptor. d.mu must be held.
func (d *Dir) rootLocked() (*os.Root, error) {
	if d.root != nil {
		return d.root, nil
	}
	p := fdPath(d.lock)
	if p == "" {
		// Only New, before anyone has the directory.
		r, err := openByName(d.path, d.id)
		if err != nil {
			return nil, err
		}
		d.root = r
		return r, nil
	}
	r, err := d.readable(func() (*os.Root, error) { return openChecked(p, d.id) })
	if err != nil {
		return nil, err
	}
	d.root = r
	return r, nil
}

// readable calls open, and once more after giving the directory mode 0700
// back through the locked descriptor if the directory could not be read:
// the handler may have taken its own permissions away.
func (d *Dir) readable(open func() (*os.Root, error)) (*os.Root, error) {
	r, err := open()
	if errors.Is(err, fs.ErrPermission) && d.lock.Chmod(0o700) == nil {
		r, err = open()
	}
	return r, err
}

// openByName opens a Root on the directory named name, which must be the
// one id describes, and never opens anything else the handler may have put
// at the name: the name is looked at first (lstat, which follows nothing)
// and opened only if it is the directory itself; it is opened as a
// directory only, with a trailing slash, so that should it be replaced in
// between by a FIFO, or a symlink to one, the kernel refuses it without
// opening it (an open of a FIFO blocks until a writer comes); and the Root
// is checked to be the directory. Errors name the directory as name does.
func openByName(name string, id fs.FileInfo) (*os.Root, error) {
	info, err := os.Lstat(name)
	if err != nil {
		return nil, err
	}
	if !os.SameFile(info, id) {
		return nil, at(name, errReplaced)
	}
	r, err := openChecked(name+string(filepath.Separator), id)
	if err != nil {
		if pe, ok := err.(*fs.PathError); ok {
			pe.Path = name // without the slash
		}
		if errors.Is(err, errReplaced) {
			err = at(name, errReplaced)
		}
		return nil, err
	}
	return r, nil
}

// openChecked opens a Root on name and returns it only if it is the
// directory id describes.
func openChecked(name string, id fs.FileInfo) (*os.Root, error) {
	r, err := os.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	if err := sameDir(r, id); err != nil {
		_ = r.Close()
		return nil, err
	}
	return r, nil
}

// OpenRoot opens a new os.Root on the directory, for a caller to own and
// close when done with it; closing it leaves the Dir and its own Root alone,
// and Wipe does not depend on it. It is opened by the directory's name and
// checked to be the directory that was made and locked: if the name has
// been given to something else meanwhile, OpenRoot fails (errors.Is
// fs.ErrNotExist when nothing is there) rather than open what the name
// leads to. After Wipe it returns ErrWiped. A Root still open after Wipe
// refers to the removed directory: nothing can be created through it.
func (d *Dir) OpenRoot() (*os.Root, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.wiped {
		return nil, ErrWiped
	}
	r, err := openByName(d.path, d.id)
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
		e, err := d.entry(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return u, fmt.Errorf("tmpfs: usage of %s: %w", d.path, err)
		}
		if !e.dir {
			u.Files++
			u.Bytes += e.bytes
			continue
		}
		u.Dirs++
		root, err := d.rootLocked()
		if err == nil {
			err = u.walk(root, name)
		}
		if err != nil {
			return u, fmt.Errorf("tmpfs: usage of %s: %w", d.path, err)
		}
	}
	return u, nil
}

// entry is what Usage needs of a directory entry.
type entry struct {
	dir   bool
	bytes int64 // the size of a regular file, 0 for anything else
}

// entry looks at name in the directory, without following a symlink:
// through the locked descriptor where the system allows it, through the
// Dir's Root otherwise. d.mu must be held.
func (d *Dir) entry(name string) (entry, error) {
	e, err := statAt(d.lock, name)
	if !errors.Is(err, errors.ErrUnsupported) {
		return e, err
	}
	root, err := d.rootLocked()
	if err != nil {
		return entry{}, err
	}
	info, err := root.Lstat(name)
	if err != nil {
		return entry{}, err
	}
	e.dir = info.IsDir()
	if info.Mode().IsRegular() {
		e.bytes = info.Size()
	}
	return e, nil
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
			root, rerr := d.rootLocked()
			if rerr != nil {
				return nil, errors.Join(err, rerr)
			}
			return rootNames(root)
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
	errs := []error{clearDir(d.lock, d.rootLocked, list)}
	// The directory is empty now. Its name is removed only while it still
	// leads to that directory: one moved away and replaced (by a symlink,
	// or by another directory) is not ours to remove. rmdir does not follow
	// a symlink, and fails on a non-empty directory.
	err := removeSame(os.Lstat, rmdir, d.path, d.id)
	if cached && err != nil {
		// Not empty, or no longer at its name: either way the directory
		// made is emptied from a listing of its own.
		errs[0] = clearDir(d.lock, d.rootLocked, d.names)
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
	if d.root != nil {
		errs = append(errs, d.root.Close())
		d.root = nil
	}
	errs = append(errs, d.lock.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("tmpfs: wipe %s: %w", d.path, err)
	}
	return nil
}
