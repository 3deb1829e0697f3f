//go:build unix

package tmpfs

import (
	"io/fs"
	"os"
	"sync"
	"syscall"
)

// ownDir reports whether info describes a real directory owned by this
// process's user.
func ownDir(info fs.FileInfo) bool {
	if !info.IsDir() {
		return false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == euid()
}

// euid returns the process's effective user id, asked once.
func euid() int {
	euidOnce.Do(func() { euidValue = os.Geteuid() })
	return euidValue
}

var (
	euidOnce  sync.Once
	euidValue int
)

// madeHere reports whether info, the Stat of the directory New has just
// locked, can be the directory it made a moment before: its own, with no
// permission beyond 0700. Another user's directory, or one of another mode,
// put at the name in between is not.
func madeHere(info fs.FileInfo) bool {
	return ownDir(info) && info.Mode().Perm()&^0o700 == 0
}

// removed reports whether info, the Stat of an open directory, is of one
// that has been removed since it was opened.
func removed(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && st.Nlink == 0
}
