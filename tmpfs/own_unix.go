//go:build unix

package tmpfs

import (
	"io/fs"
	"os"
	"syscall"
)

// ownDir reports whether info describes a real directory owned by this
// process's user. New's directories also have mode 0700, or, while New sets
// them up, no permission beyond setupMode (see settingUp).
func ownDir(info fs.FileInfo) bool {
	if !info.IsDir() {
		return false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}

// madeHere reports whether info, the Stat of the directory New has just
// locked, can be the directory it made a moment before: its own, with no
// permission beyond setupMode. Another user's directory, or one made with
// another mode, put at the name in between is not.
func madeHere(info fs.FileInfo) bool {
	return ownDir(info) && settingUp(info.Mode().Perm())
}

// settingUp reports whether perm is a mode New gives a directory it is
// setting up: setupMode, less what the umask took away.
func settingUp(perm fs.FileMode) bool { return perm&^setupMode == 0 }
