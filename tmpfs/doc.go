// Package tmpfs gives each Lambda invocation a directory of its own.
//
// On Lambda every invocation of a warm execution environment shares /tmp:
// what one invocation writes there the next one can read, and what nobody
// removes fills the 512 MB that the function has. A [Dir] is a fresh directory
// with an unpredictable name and mode 0700 under a base (the OS temp dir by
// default), handed out as a path and as an [os.Root], measured with
// [Dir.Usage] and removed, contents and all, with [Dir.Wipe].
//
// Removal never leaves the directory: every operation goes through the
// directory's own descriptor or an os.Root opened on it, so a symlink (or a
// hard link, or a symlink swapped in while the wipe runs) that points outside
// is removed as a link and its target is left alone. Read-only files and
// subdirectories, deep trees and odd names are removed too. Nor does a
// directory's name swapped for something else lead removal astray: Wipe and
// Sweep check that the Root they clear, and the name they remove, are still
// the very directory whose lock they hold, and leave anything else alone.
// They never open the name, which the handler may have given to a FIFO or a
// directory elsewhere: they reach the directory through its locked
// descriptor (on Linux, its /proc/self/fd entry; elsewhere a Root New opened
// at once). OpenRoot opens the name only once it has found the directory
// itself there.
//
// A Dir holds an advisory lock (flock) on its directory for as long as it is
// open. When a process is killed — a timeout, an out-of-memory kill — the
// kernel drops the lock, and [Sweep] removes the directory on the next cold
// start. Directories of live invocations, in this process or another, stay
// locked and are never swept; should a Sweep take one New has made but not
// yet locked, New finds out and makes another.
package tmpfs
