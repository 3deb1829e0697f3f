// Package store keeps the last message it was given.
package store

var last string

// Remember keeps msg for the next call.
func Remember(msg string) { last = msg }

// Last is what Remember kept.
func Last() string { return last }
