package tmpfs_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/lambdaguard/lambdaguard/tmpfs"
)

// Between New's mkdir and its open, the fresh (empty, 0700) directory is
// replaced by another directory: another user's, 0755, holding a file (a base
// others can write to without the sticky bit). New must not lock it, chmod
// it and hand it out, nor Wipe empty it. inotify tells the test when New's
// directory appears.
func TestNewRefusesADirectorySwappedInBeforeItsLock(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("gives the swapped-in directory to another user: needs root")
	}
	base := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC)
	must(err)
	_, err = syscall.InotifyAddWatch(fd, base, syscall.IN_CREATE)
	must(err)
	stop := make(chan struct{})
	swapped := make(chan string, 1024)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := syscall.Read(fd, buf)
			if err != nil {
				return
			}
			for off := 0; off+syscall.SizeofInotifyEvent <= n; {
				ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
				nb := buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+int(ev.Len)]
				name := strings.TrimRight(string(nb), "\x00")
				off += syscall.SizeofInotifyEvent + int(ev.Len)
				if !strings.HasPrefix(name, tmpfs.Prefix) || strings.HasSuffix(name, ".aside") {
					continue
				}
				p := filepath.Join(base, name)
				if os.Rename(p, p+".aside") != nil {
					continue
				}
				if os.Mkdir(p, 0o755) != nil {
					continue
				}
				_ = os.WriteFile(filepath.Join(p, "precious"), []byte("not yours"), 0o644)
				_ = os.Chown(filepath.Join(p, "precious"), 65534, 65534)
				_ = os.Chown(p, 65534, 65534) // another user's directory
				swapped <- p
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	defer func() { close(stop); syscall.Close(fd) }()

	var handed, failed int
	for i := 0; i < 300 && handed == 0; i++ {
		d, err := tmpfs.New(base, "req")
		if err != nil {
			failed++
			continue
		}
		root := d.Root()
		if root == nil {
			// New locked its own directory and the swap came after: the
			// name no longer leads to it, and Root opens nothing. Once the
			// other user's directory is in place, the wipe must not have
			// emptied it.
			_ = d.Wipe()
			if swappedIn(swapped, d.Path()) {
				if _, err := os.Stat(filepath.Join(d.Path(), "precious")); err != nil {
					handed++
					t.Errorf("Wipe reached the other user's directory put at %s: %v", d.Path(), err)
				}
			}
			continue
		}
		info, err := root.Stat(".")
		must(err)
		st := info.Sys().(*syscall.Stat_t)
		entries, _ := fs.ReadDir(root.FS(), ".")
		if int(st.Uid) != os.Geteuid() || len(entries) != 0 {
			handed++
			t.Errorf("New handed out %s: owner uid %d (we are %d), mode %v, %d entries (%v)",
				d.Path(), st.Uid, os.Geteuid(), info.Mode().Perm(), len(entries), entries[0].Name())
			_, statErr := os.Stat(filepath.Join(d.Path(), "precious"))
			_ = d.Wipe()
			_, afterErr := os.Stat(filepath.Join(d.Path(), "precious"))
			t.Errorf("the other user's file before Wipe: %v; after Wipe: %v", statErr, afterErr)
		} else {
			_ = d.Wipe()
		}
	}
	t.Logf("New failed %d times", failed)
}

// swappedIn waits, a second at most, for the swap of p to be done.
func swappedIn(swapped <-chan string, p string) bool {
	timeout := time.After(time.Second)
	for {
		select {
		case q := <-swapped:
			if q == p {
				return true
			}
		case <-timeout:
			return false
		}
	}
}
