package guard

import (
	"context"
	"net"
	"sync"
	"syscall"

	"github.com/lambdaguard/lambdaguard/internal/procstate"
)

// DialFunc is the signature of net.Dialer.DialContext, which
// http.Transport.DialContext and pgconn.Config.DialFunc take.
type DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// SharedDial wraps dial so that the connections it makes are known to belong
// to a shared resource: debug mode leaves their file descriptors out of its
// reports, where a connection opened by an invocation and still open after
// it is otherwise reported as a leak. Give it to the client a SharedResource builds
// (http.Transport.DialContext, pgconn.Config.DialFunc). A nil dial stands for
// a plain net.Dialer. The connections are returned as they are, wrapped only
// to know when they close.
func SharedDial(dial DialFunc) DialFunc {
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		target := procstate.SocketTarget(c)
		if target == "" {
			return c, nil
		}
		sockets.add(target)
		return &sharedConn{Conn: c, target: target}, nil
	}
}

// sharedConn is a connection dialled through SharedDial. It forgets its
// socket when closed.
type sharedConn struct {
	net.Conn
	target string
	once   sync.Once
}

func (c *sharedConn) Close() error {
	c.once.Do(func() { sockets.remove(c.target) })
	return c.Conn.Close()
}

// SyscallConn gives access to the underlying socket, as the net package's own
// connections do.
func (c *sharedConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, syscall.EINVAL
}

// sockets is the registry of the sockets of shared resources, by what
// /proc/self/fd names them; package-level for the same reason as the
// registry of shared resources, and guarded by its mutex.
var sockets socketRegistry

type socketRegistry struct {
	mu sync.Mutex
	m  map[string]int
}

func (r *socketRegistry) add(target string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = make(map[string]int)
	}
	r.m[target]++
}

func (r *socketRegistry) remove(target string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m[target]--; r.m[target] <= 0 {
		delete(r.m, target)
	}
}

// sharedSocket reports whether the descriptor target belongs to a shared
// resource.
func sharedSocket(target string) bool {
	sockets.mu.Lock()
	defer sockets.mu.Unlock()
	return sockets.m[target] > 0
}
