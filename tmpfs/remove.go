package tmpfs

import (
	"errors"
	"io/fs"
	"os"
	"path"
)

// clearRoot removes every entry of root. os.Root.RemoveAll does not follow
// symlinks and cannot leave the root. When an entry resists (a read-only
// directory, for a user that is not root, or the root directory itself made
// read-only), the root and the tree under the entry are made writable and
// the removal tried again.
func clearRoot(root *os.Root) error {
	entries, err := readDir(root, ".")
	if err != nil {
		// The handler may have taken its own directory's permissions away.
		_ = root.Chmod(".", 0o700)
		if entries, err = readDir(root, "."); err != nil {
			return err
		}
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if err := root.RemoveAll(name); err == nil {
			continue
		}
		// Unlinking name needs write access to the directory itself too.
		_ = root.Chmod(".", 0o700)
		makeWritable(root, name)
		if err := root.RemoveAll(name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
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

func readDir(root *os.Root, name string) ([]fs.DirEntry, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}
