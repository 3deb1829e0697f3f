package tmpfs

import (
	"os"
	"strconv"
	"sync"
)

// fdPath returns a name that leads to the very file f is open on, whatever
// has become of its own name: the descriptor's entry in /proc/self/fd
// (proc(5)), whose link the kernel resolves to the open file itself. It is
// "" where /proc is not mounted.
func fdPath(f *os.File) string {
	if !procFDs() {
		return ""
	}
	return "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
}

// procFDs reports whether /proc/self/fd is there, asked once.
func procFDs() bool {
	procOnce.Do(func() {
		_, err := os.Stat("/proc/self/fd")
		procOK = err == nil
	})
	return procOK
}

var (
	procOnce sync.Once
	procOK   bool
)
