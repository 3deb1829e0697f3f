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

// Pool runs work in the background; Wait waits for it.
type Pool struct {
	done chan struct{}
}

// Go starts fn: Wait joins it, so a handler that calls Go is not told of
// the goroutine.
func (p *Pool) Go(fn func()) {
	go func() {
		defer func() { p.done <- struct{}{} }()
		fn()
	}()
}

// Wait waits for what Go started.
func (p *Pool) Wait() { <-p.done }

// Detach starts a goroutine nobody can wait for.
func Detach(msg string) {
	go func() { _ = msg }()
}

// DB is a handle whose method keeps state too.
type DB struct{}

// Save writes package state.
func (DB) Save(v string) { last = v }
