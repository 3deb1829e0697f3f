package procstate

import (
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// target is what /proc/self/fd says c's descriptor refers to.
func target(t *testing.T, c syscall.Conn) string {
	t.Helper()
	raw, err := c.SyscallConn()
	require.NoError(t, err)
	var s string
	require.NoError(t, raw.Control(func(fd uintptr) {
		s, err = os.Readlink("/proc/self/fd/" + strconv.Itoa(int(fd)))
	}))
	require.NoError(t, err)
	return s
}

func needProcNet(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/proc/self/net/tcp"); err != nil {
		t.Skip("no /proc/self/net/tcp:", err)
	}
}

// TestServerSide: of the descriptors a connection to a server of this
// process opens, the one the server accepted is server side; the one dialled
// and the listener are not. The listeners cover a loopback address, the
// IPv4 wildcard and the dual-stack wildcard, which shows its IPv4
// connections with IPv4-mapped addresses in tcp6.
func TestServerSide(t *testing.T) {
	needProcNet(t)
	for _, tc := range []struct {
		name, network, listen, dialHost string
	}{
		{"loopback", "tcp4", "127.0.0.1:0", "127.0.0.1"},
		{"wildcard-v4", "tcp4", "0.0.0.0:0", "127.0.0.1"},
		{"wildcard-v6/v4-mapped", "tcp", "[::]:0", "127.0.0.1"},
		{"wildcard-v6/v6", "tcp", "[::]:0", "::1"},
		{"loopback-v6", "tcp6", "[::1]:0", "::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen(tc.network, tc.listen)
			if err != nil {
				t.Skip("cannot listen:", err)
			}
			defer ln.Close()
			port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
			dialled, err := net.Dial("tcp", net.JoinHostPort(tc.dialHost, port))
			if err != nil {
				t.Skip("cannot dial:", err)
			}
			defer dialled.Close()
			accepted, err := ln.Accept()
			require.NoError(t, err)
			defer accepted.Close()

			lnT := target(t, ln.(*net.TCPListener))
			dialT := target(t, dialled.(*net.TCPConn))
			accT := target(t, accepted.(*net.TCPConn))
			socks := Sockets()
			st := Take(Options{})
			require.Empty(t, st.Errors)

			require.Contains(t, socks, lnT)
			assert.True(t, socks[lnT].Listen, "%+v", socks[lnT])
			assert.Equal(t, socks[accT].Local, socks[dialT].Remote)
			assert.Equal(t, socks[dialT].Local, socks[accT].Remote)

			assert.True(t, ServerSide(accT, socks, st.FDs), "accepted %s %+v", accT, socks[accT])
			assert.False(t, ServerSide(dialT, socks, st.FDs), "dialled %s %+v", dialT, socks[dialT])
			assert.False(t, ServerSide(lnT, socks, st.FDs), "the listener itself")

			// A listener this process does not hold (another process's, in
			// the same network namespace) makes no connection server side.
			without := make(map[int]string)
			for fd, tg := range st.FDs {
				if tg != lnT {
					without[fd] = tg
				}
			}
			assert.False(t, ServerSide(accT, socks, without))
		})
	}
}

// TestServerSideAddresses covers the address forms without the kernel.
func TestServerSideAddresses(t *testing.T) {
	fds := map[int]string{3: "socket:[1]", 4: "socket:[2]"}
	for _, tc := range []struct {
		listener, local string
		want            bool
	}{
		{"127.0.0.1:8080", "127.0.0.1:8080", true},
		{"127.0.0.1:8080", "127.0.0.2:8080", false},
		{"127.0.0.1:8080", "127.0.0.1:8081", false},
		{"0.0.0.0:8080", "10.1.2.3:8080", true},
		{"[::]:8080", "10.1.2.3:8080", true},
		{"[::]:8080", "[fe80::1]:8080", true},
		{"[::]:8080", "[fe80::1]:8081", false},
		{"[::ffff:127.0.0.1]:8080", "127.0.0.1:8080", true},
		{"127.0.0.1:8080", "[::ffff:127.0.0.1]:8080", true},
		{"[::1]:8080", "[::1]:8080", true},
		{"[::1]:8080", "127.0.0.1:8080", false},
		{"garbage", "127.0.0.1:8080", false},
		{"127.0.0.1:8080", "garbage", false},
	} {
		socks := map[string]Socket{
			"socket:[1]": {Local: tc.listener, Remote: "0.0.0.0:0", Listen: true},
			"socket:[2]": {Local: tc.local, Remote: "127.0.0.1:50000"},
		}
		assert.Equal(t, tc.want, ServerSide("socket:[2]", socks, fds), "listener %s, local %s", tc.listener, tc.local)
	}
	socks := map[string]Socket{"socket:[1]": {Local: "127.0.0.1:80", Listen: true}}
	assert.False(t, ServerSide("socket:[9]", socks, fds), "not a TCP socket")
	assert.False(t, ServerSide("/tmp/x", socks, fds))
	assert.False(t, ServerSide("socket:[1]", socks, fds), "a listener")
}
