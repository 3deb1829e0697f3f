package tmpfs

import (
	"errors"
	"io/fs"
	"os"
	"path"
)

// clearDir removes every entry of the directory self is open on, as list
// names them. An entry that is not a directory is unlinked through self,
// which never follows a symlink and cannot reach outside. A subdirectory, or
// an entry that resists (a read-only directory, for a user that is not root,
// or the directory itself made read-only), is removed through the Root that
// root returns, opened only then: os.Root.RemoveAll does not follow
// symlinks and cannot leave the root; when it fails, the directory and the
// tree under the entry are made writable and the removal tried again. The
// directory's own mode is given back through self, which needs no search
// permission on it, the permission a handler may have taken away.
func clearDir(self *os.File, root func() (*os.Root, error), list func() ([]string, error)) error {
	names, err := list()
	if err != nil {
		// The handler may have taken its own directory's permissions away.
		_ = self.Chmod(0o700)
		r, rerr := root()
		if rerr != nil {
			return errors.Join(err, rerr)
		}
		if names, err = rootNames(r); err != nil {
			return err
		}
	}
	var errs []error
	for _, name := range names {
		err := removeAt(self, name)
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if errors.Is(err, fs.ErrPermission) {
			// Unlinking name needs write and search access to the
			// directory itself.
			_ = self.Chmod(0o700)
			if removeAt(self, name) == nil {
				continue
			}
		}
		r, err := root()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := r.RemoveAll(name); err == nil {
			continue
		}
		_ = self.Chmod(0o700)
		makeWritable(r, name)
		if err := r.RemoveAll(name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// rootNames lists the entries of root.
func rootNames(root *os.Root) ([]string, error) {
	f, err := root.Open(".")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// makeWritable gives the owner full access to name and, when it is a
// directory, to everything below it. It never follows a symlink: it looks at
// each entry with Lstat and only changes real directories.
func makeWritable(root *os.Root, name string) {
	info, err := root.Lstat(name)
	if err != nil || !info.IsDir() {
		return
	}
	_ = root.Chmod(name, 0o700)
	entries, err := readDir(root, name)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() {
			makeWritable(root, path.Join(name, e.Name()))
		}
	}
}

// errReplaced means a name no longer leads to the directory whose lock is
// held: it was moved away, or something else was put in its place.
var errReplaced = errors.New("no longer the directory that was locked")

// sameDir returns errReplaced unless root is open on the directory id
// describes (the Stat of the locked descriptor).
func sameDir(root *os.Root, id fs.FileInfo) error {
	info, err := root.Stat(".")
	if err != nil {
		return err
	}
	if !os.SameFile(info, id) {
		return errReplaced
	}
	return nil
}

// replaced reports whether name, looked at with lstat (which does not follow
// a symlink), is gone or is something other than the directory id describes.
func replaced(lstat func(string) (fs.FileInfo, error), name string, id fs.FileInfo) bool {
	info, err := lstat(name)
	if err != nil {
		return errors.Is(err, fs.ErrNotExist)
	}
	return !os.SameFile(info, id)
}

// removeSame removes the emptied directory name only if it is still the one
// id describes, and returns errReplaced otherwise. The name can still be
// swapped between the check and the removal; what is removed then is the one
// entry of that name, never anything it leads to: removal does not follow a
// symlink, and a directory that is not empty is not removed.
func removeSame(lstat func(string) (fs.FileInfo, error), remove func(string) error, name string, id fs.FileInfo) error {
	info, err := lstat(name)
	if err != nil {
		return err
	}
	if !os.SameFile(info, id) {
		return errReplaced
	}
	return remove(name)
}

func readDir(root *os.Root, name string) ([]fs.DirEntry, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}
