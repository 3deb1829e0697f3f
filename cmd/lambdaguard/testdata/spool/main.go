// Command spool is a guarded function for the lambdaguard command's tests. It spools each
// caller's upload to a file named after the caller's e-mail and token, straight under TMPDIR
// rather than in its own temp directory, and never removes it: debug mode reports the file.
// Two invocations meet before they spool and again after, so that each one's report sees the
// other's file appear too. It answers without echoing the caller's data.
//
// Event: {"email": "...", "token": "..."}.
package main

import (
	"context"
	"os"
	"path/filepath"
	"sync"

	"github.com/lambdaguard/lambdaguard/guard"
)

type upload struct {
	Email string `json:"email"`
	Token string `json:"token"`
}

// callers is how many invocations meet: the runner's --concurrency.
const callers = 2

var (
	mu                     sync.Mutex
	arrived, spooled       int
	allArrived, allSpooled = make(chan struct{}), make(chan struct{})
)

// meet counts this invocation in and waits for the others, or for the deadline.
func meet(ctx context.Context, count *int, all chan struct{}) {
	mu.Lock()
	if *count++; *count == callers {
		close(all)
	}
	mu.Unlock()
	select {
	case <-all:
	case <-ctx.Done():
	}
}

func handle(ctx context.Context, u upload) (map[string]bool, error) {
	meet(ctx, &arrived, allArrived)
	name := filepath.Join(os.TempDir(), u.Email+"-"+u.Token+".part")
	if err := os.WriteFile(name, []byte("partial upload"), 0o600); err != nil {
		return nil, err
	}
	meet(ctx, &spooled, allSpooled)
	return map[string]bool{"spooled": true}, nil
}

func main() { guard.Start(handle) }
