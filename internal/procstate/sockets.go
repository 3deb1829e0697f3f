package procstate

import (
	"bufio"
	"encoding/hex"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// tcpTables are the kernel's tables of TCP sockets. They list every socket of
// the network namespace, not only this process's: which ones are this
// process's is told by the descriptors it holds.
var tcpTables = []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"}

// SocketTarget returns what /proc/self/fd says c's descriptor refers to
// ("socket:[12345]"), which is how State.FDs and Sockets name it; "" when it
// cannot tell (not a socket of the net package, not Linux).
func SocketTarget(c net.Conn) string {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return ""
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return ""
	}
	var target string
	_ = raw.Control(func(fd uintptr) {
		target, _ = os.Readlink("/proc/self/fd/" + strconv.FormatUint(uint64(fd), 10))
	})
	return target
}

// Socket is what /proc/self/net/tcp and tcp6 say of one TCP socket.
type Socket struct {
	Local  string // "127.0.0.1:8080", "[::1]:443"; an IPv4-mapped address is shown as IPv4
	Remote string // "0.0.0.0:0" for a listener
	Listen bool   // state LISTEN: a server's socket, accepting connections
}

// Sockets maps socket inodes ("socket:[12345]", as /proc shows an fd) to what
// the kernel says of the TCP sockets behind them. Sockets that no descriptor
// can name (inode 0: TIME_WAIT and the like) are left out. It returns what it
// could read; on systems without /proc it returns nothing.
func Sockets() map[string]Socket {
	out := make(map[string]Socket)
	for _, f := range tcpTables {
		scanTCP(f, func(fields []string) {
			if fields[9] == "0" {
				return
			}
			local, remote := parseAddr(fields[1]), parseAddr(fields[2])
			if local == "" || remote == "" {
				return
			}
			out["socket:["+fields[9]+"]"] = Socket{Local: local, Remote: remote, Listen: fields[3] == "0A"}
		})
	}
	return out
}

// ServerSide reports whether the descriptor target ("socket:[12345]") is a
// connection that a server of this very process accepted: a socket whose
// local address is that of a listening socket the process holds (its inode
// among the targets of fds, as State.FDs has them). A test's own
// httptest.Server accepts the connections of the handler under test, and
// their server ends open new descriptors during the invocation; they are the
// server's, not the handler's, and the handler's own end of each connection
// is still there to be reported. A listener is not server side, nor is a
// listener of another process on the same port: the tables list the whole
// network namespace.
//
// Listeners on the wildcard address (0.0.0.0:port, [::]:port) match any
// local address with their port, and IPv4-mapped IPv6 addresses
// (::ffff:127.0.0.1, what a dual-stack listener's IPv4 connections show) are
// taken as the IPv4 address they map. A connection this process dialled does
// not match: the kernel does not pick a port that a listener is bound to as
// a connection's ephemeral port.
func ServerSide(target string, socks map[string]Socket, fds map[int]string) bool {
	s, ok := socks[target]
	if !ok || s.Listen {
		return false
	}
	local, err := netip.ParseAddrPort(s.Local)
	if err != nil {
		return false
	}
	for _, t := range fds {
		l, ok := socks[t]
		if !ok || !l.Listen || t == target {
			continue
		}
		if listens(l.Local, local) {
			return true
		}
	}
	return false
}

// listens reports whether a listener bound to addr accepts connections whose
// local address is local.
func listens(addr string, local netip.AddrPort) bool {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || ap.Port() != local.Port() {
		return false
	}
	ip := ap.Addr().Unmap()
	return ip.IsUnspecified() || ip == local.Addr().Unmap()
}

// scanTCP calls line with the fields of each socket line of file (one of
// tcpTables); lines too short to hold an inode are skipped.
func scanTCP(file string, line func(fields []string)) {
	f, err := os.Open(file)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 {
			continue
		}
		line(fields)
	}
}

// parseAddr decodes "0100007F:1F90" (IPv4, or 32 hex digits for IPv6, each
// 32-bit word in host byte order) into "127.0.0.1:8080".
func parseAddr(s string) string {
	h, p, ok := strings.Cut(s, ":")
	if !ok {
		return ""
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return ""
	}
	raw, err := hex.DecodeString(h)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return ""
	}
	ip := make(net.IP, len(raw))
	for w := 0; w < len(raw); w += 4 { // little-endian words, as on Lambda's x86_64 and arm64
		ip[w], ip[w+1], ip[w+2], ip[w+3] = raw[w+3], raw[w+2], raw[w+1], raw[w]
	}
	return net.JoinHostPort(ip.String(), strconv.FormatUint(port, 10))
}
