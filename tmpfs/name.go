package tmpfs

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

const (
	// Prefix starts the name of every directory this package makes; Sweep
	// considers nothing else.
	Prefix = "lambdaguard-"

	maxNameLen = 48
)

// sanitize turns an untrusted name (a request id, say) into a safe path
// element: letters, digits, '-' and '_' only, at most maxNameLen bytes. Path
// separators, dots and everything else become '_', so the result can never
// be "..", contain a slash, or start with a dash.
func sanitize(name string) string {
	var b strings.Builder
	for i := 0; i < len(name) && b.Len() < maxNameLen; i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
			b.WriteByte(c)
		case c == '-' && b.Len() > 0:
			b.WriteByte(c)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// randomSuffix returns 16 hex digits from crypto/rand: the part of the name
// another process cannot predict.
func randomSuffix() string {
	var buf [8]byte
	_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(buf[:])
}

// dirName returns the final name of a directory for name.
func dirName(name string) string {
	s := sanitize(name)
	if s == "" {
		return Prefix + randomSuffix()
	}
	return Prefix + s + "-" + randomSuffix()
}
