package procstate

import (
	"bufio"
	"encoding/hex"
	"net"
	"os"
	"strconv"
	"strings"
)

// SocketPeers maps socket inodes ("socket:[12345]" as /proc shows an fd) to
// the remote address of TCP sockets, from /proc/self/net/tcp and tcp6. It
// returns what it could read; on systems without /proc it returns nothing.
func SocketPeers() map[string]string {
	out := make(map[string]string)
	for _, f := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		readTCP(f, out)
	}
	return out
}

func readTCP(file string, out map[string]string) {
	f, err := os.Open(file)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 {
			continue
		}
		if addr := parseAddr(fields[2]); addr != "" {
			out["socket:["+fields[9]+"]"] = addr
		}
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
