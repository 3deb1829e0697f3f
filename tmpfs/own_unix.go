//go:build unix

package tmpfs

import (
	"io/fs"
	"os"
	"syscall"
)

// ownDir reports whether info describes a directory New could have made: a
// real directory with mode perm (0700, or setupMode for one New did not
// finish), owned by this process's user.
func ownDir(info fs.FileInfo, perm fs.FileMode) bool {
	if !info.IsDir() || info.Mode().Perm() != perm {
		return false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}

// madeHere reports whether info, the Stat of the directory New has just
// locked, can be the directory it made a moment before: owned by this
// process's user and with no permission beyond setupMode (the umask may
// have taken some away). Another user's directory, or one made with another
// mode, put at the name in between is not.
func madeHere(info fs.FileInfo) bool {
	return ownDir(info, info.Mode().Perm()) && settingUp(info.Mode().Perm())
}

// settingUp reports whether perm is a mode New gives a directory it is
// setting up: setupMode, less what the umask took away.
func settingUp(perm fs.FileMode) bool { return perm&^setupMode == 0 }
