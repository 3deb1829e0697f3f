package guard

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/lambdaguard/lambdaguard/internal/detect"
	"github.com/lambdaguard/lambdaguard/scope"
	"github.com/lambdaguard/lambdaguard/tmpfs"
)

// ErrNoInvocation is returned when a function that needs the current
// invocation is called with a context that does not carry one.
var ErrNoInvocation = errors.New("guard: no invocation in context (is the handler wrapped?)")

// ErrInvocationEnded is returned by TempDir when it is called after the
// invocation's cleanup started, by a goroutine that outlived its handler.
var ErrInvocationEnded = errors.New("guard: invocation has ended")

// Invocation describes the invocation that a context belongs to.
type Invocation struct {
	// RequestID is the Lambda request id (lambdacontext.LambdaContext's
	// AwsRequestID), or a random UUID when the handler runs outside Lambda.
	RequestID string
	// Number counts the invocations this guard has handled in this process,
	// starting at 1.
	Number uint64
	// ColdStart is true for the first invocation of the process.
	ColdStart bool
	// Start is when the guard began the invocation.
	Start time.Time
	// Deadline is the invocation's real deadline; zero when it has none.
	// The handler's context ends earlier, by the cleanup reserve (see
	// WithCleanupReserve).
	Deadline time.Time
	// Idle is the thaw gap: how long the environment sat idle (most often
	// frozen) between the end of the previous invocation and this one's
	// start; zero on a cold start and while other invocations were still
	// running. OnThaw hooks run when it passes their threshold.
	Idle time.Duration
	// InFlight is how many invocations of this guard were running when this
	// one started, itself included: more than 1 only with
	// AWS_LAMBDA_MAX_CONCURRENCY > 1 or concurrent HTTP requests.
	InFlight int
}

type invKey struct{}

// invocation is what the guard keeps per invocation, in the context.
type invocation struct {
	info Invocation
	g    *guard
	logs logBag // the attributes AddLogAttrs gave it

	node    invCtx          // carries the invocation; embedded: one allocation fewer than context.WithValue
	ctx     context.Context // the invocation's: its scope and itself, the caller's deadline
	handler context.Context // the handler's: ends at the start of the cleanup reserve
	hctx    handlerCtx      // the handler's context, when it has a reserve to keep (see reserve)
	scope   *scope.Scope
	debug   *detect.Inv // nil outside debug mode

	mu    sync.Mutex
	dir   *tmpfs.Dir
	roots []*os.Root // handed out by TempRoot, closed by end
	ended bool
}

// withInvocation returns ctx carrying inv. The node lives in inv: one
// allocation fewer per invocation than context.WithValue.
func withInvocation(ctx context.Context, inv *invocation) context.Context {
	inv.node = invCtx{Context: ctx, inv: inv}
	return &inv.node
}

// invCtx is context.WithValue(parent, invKey{}, inv).
type invCtx struct {
	context.Context
	inv *invocation
}

func (c *invCtx) Value(key any) any {
	if _, ok := key.(invKey); ok {
		return c.inv
	}
	return c.Context.Value(key)
}

func (c *invCtx) String() string { return "guard.invocation(" + c.inv.info.RequestID + ")" }

func invocationOf(ctx context.Context) *invocation {
	inv, _ := ctx.Value(invKey{}).(*invocation)
	return inv
}

// InvocationFrom returns the invocation that ctx belongs to. It reports false
// outside a guarded handler.
func InvocationFrom(ctx context.Context) (Invocation, bool) {
	inv := invocationOf(ctx)
	if inv == nil {
		return Invocation{}, false
	}
	return inv.info, true
}

// TempDir returns the path of this invocation's own temp directory, making it
// on the first call; an invocation that never calls TempDir or TempRoot costs
// no file system call. The directory has mode 0700 and a name no other
// request can predict, and it is removed with everything in it when the
// handler returns, whatever way it returns.
//
// Open files with TempRoot when a name comes from the request: a path joined
// by hand follows symlinks.
func TempDir(ctx context.Context) (string, error) {
	d, err := tempDir(ctx)
	if err != nil {
		return "", err
	}
	return d.Path(), nil
}

// TempRoot is TempDir as an os.Root, through which nothing can escape the
// directory, symlinks included.
//
// Each call opens a Root of its own (one file descriptor) on the
// invocation's directory, by its name, and checks that it is the directory
// that was made: if the handler has moved the directory away, or put
// something else at its name, TempRoot returns an error rather than open
// what the name leads to (a Root from an earlier call still works). The
// handler may close it, with defer
// root.Close() as usual, and the guard closes whatever is still open when
// the invocation ends, before the directory is wiped; closing it twice is
// harmless. A Root kept beyond the invocation is closed all the same, so
// it cannot carry one request's files into the next. Files opened through
// it are the handler's to close: closing the Root leaves them open, and
// debug mode reports one still open. Call it once and pass the Root along,
// rather than once per file: every Root stays open until closed or the end
// of the invocation.
func TempRoot(ctx context.Context) (*os.Root, error) {
	inv := invocationOf(ctx)
	if inv == nil {
		return nil, ErrNoInvocation
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	d, err := inv.dirLocked()
	if err != nil {
		return nil, err
	}
	r, err := d.OpenRoot()
	if errors.Is(err, tmpfs.ErrWiped) {
		return nil, ErrInvocationEnded
	}
	if err != nil {
		return nil, fmt.Errorf("guard: temp dir: %w", err)
	}
	// Under inv.mu, as close is: a Root handed out is always one close closes.
	inv.roots = append(inv.roots, r)
	return r, nil
}

func tempDir(ctx context.Context) (*tmpfs.Dir, error) {
	inv := invocationOf(ctx)
	if inv == nil {
		return nil, ErrNoInvocation
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.dirLocked()
}

// dirLocked returns the invocation's directory, making it on the first
// call. inv.mu must be held.
func (inv *invocation) dirLocked() (*tmpfs.Dir, error) {
	if inv.ended {
		return nil, ErrInvocationEnded
	}
	if inv.dir == nil {
		d, err := tmpfs.New(inv.g.cfg.tempBase, inv.info.RequestID)
		if err != nil {
			return nil, fmt.Errorf("guard: temp dir: %w", err)
		}
		inv.dir = d
	}
	return inv.dir, nil
}

// close marks the invocation as over, closes the Roots TempRoot handed out
// (those the handler closed already included: a second Close does nothing)
// and returns its directory, if one was made, for the caller to wipe. The
// wipe goes through the Dir's own Root, never through one handed out, so
// what the handler did with those cannot stop it; they are closed first so
// that none is left open on the removed directory.
func (inv *invocation) close() *tmpfs.Dir {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.ended = true
	for _, r := range inv.roots {
		_ = r.Close()
	}
	inv.roots = nil
	return inv.dir
}

// dirPath returns the path of the invocation's directory, "" if none was made.
func (inv *invocation) dirPath() string {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.dir == nil {
		return ""
	}
	return inv.dir.Path()
}
