// Package readme holds the test that keeps the README honest: every Go
// snippet in it that is a whole program compiles against the current code.
package readme
