// Package readme holds the tests that keep the docs honest: every Go snippet
// of the README that is a whole program compiles against the current code,
// and docs/DESIGN.md's count of each package's exports is the real one.
package readme
