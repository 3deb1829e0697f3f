package tmpfs

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSweepNeverOpensTheName: another process of the user swaps a stale
// directory's name for a FIFO (or a symlink to one inside base) once Sweep
// holds the lock: the Sweep clears the directory it locked without opening
// the name, which would block until a writer came, and the cold start with
// it.
func TestSweepNeverOpensTheName(t *testing.T) {
	for _, kind := range []string{"fifo", "symlink-to-fifo"} {
		t.Run(kind, func(t *testing.T) {
			base := t.TempDir()
			p := filepath.Join(base, Prefix+"x-0123456789abcdef")
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
			fifo := p
			onLocked(t, func(string) {
				if err := os.Rename(p, p+".moved"); err != nil {
					t.Error(err)
				}
				if kind == "symlink-to-fifo" {
					fifo = filepath.Join(base, "f.fifo")
					_ = os.Symlink("f.fifo", p)
				}
				if err := syscall.Mkfifo(fifo, 0o600); err != nil {
					t.Error(err)
				}
			})
			done := make(chan struct{})
			go func() { _, _ = Sweep(base); close(done) }()
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				if fd, err := syscall.Open(fifo, syscall.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					<-done
					_ = syscall.Close(fd)
				}
				t.Errorf("Sweep blocked opening the FIFO (%s) put at %s after its lock", kind, p)
			}
		})
	}
}
