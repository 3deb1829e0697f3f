// Package store is a package of the function's own module that keeps
// state: a handler in another package that calls it is told so.
package store

import "os"

var (
	last  string
	cache = map[string]string{}
)

// Put writes package state, two calls down.
func Put(k, v string) {
	remember(k, v)
}

func remember(k, v string) {
	cache[k] = v
	last = v
}

// Get only reads.
func Get(k string) string { return cache[k] }

// Spool leaves a file in /tmp.
func Spool(body string) error {
	return os.WriteFile("/tmp/spool", []byte(body), 0o600)
}

// DB is a handle whose method keeps state too.
type DB struct{}

// Save writes package state.
func (DB) Save(v string) { last = v }
