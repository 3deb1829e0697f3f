package tmpfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestNewOutrunBySweep runs a Sweep at each point between New's mkdir and
// its lock, where the directory looks like one a killed invocation left: the
// Sweep takes it (removing it, or holding its lock), and New hands out
// another, locked, directory that the next Sweep leaves alone.
func TestNewOutrunBySweep(t *testing.T) {
	if !canLock {
		t.Skip("no flock: Sweep removes nothing")
	}
	held := func(p string) {
		// A Sweep that has locked it and not yet removed it.
		f, err := openDir(p)
		must(t, err)
		must(t, lock(f))
		t.Cleanup(func() { _ = f.Close() })
	}
	sweep := func(p string) {
		n, err := Sweep(filepath.Dir(p))
		if err != nil || n != 1 {
			t.Fatalf("Sweep = %d, %v; want the fresh directory taken", n, err)
		}
	}
	for _, tc := range []struct {
		name string
		hook *func(string)
		run  func(string)
	}{
		{"swept before the open", &testHookMade, sweep},
		{"swept between the open and the lock", &testHookOpened, sweep},
		{"locked by a Sweep first", &testHookOpened, held},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			var first string
			*tc.hook = func(p string) {
				if first == "" {
					first = p
					tc.run(p)
				}
			}
			t.Cleanup(func() { *tc.hook = nil })

			d, err := New(base, "req")
			must(t, err)
			if d.Path() == first {
				t.Fatalf("New handed out %s, the directory the Sweep took", first)
			}
			must(t, d.Root().WriteFile("data", []byte("x"), 0o600))
			if n, err := Sweep(base); err != nil || n != 0 {
				t.Fatalf("Sweep = %d, %v; want the directory handed out left alone", n, err)
			}
			if _, err := os.Stat(filepath.Join(d.Path(), "data")); err != nil {
				t.Fatalf("the directory handed out lost its file: %v", err)
			}
			must(t, d.Wipe())
		})
	}
}

// TestNewGivesUpOnEndlessSweeps: a Sweep that takes every directory before
// its lock makes New fail, after newAttempts directories, with an error that
// says so, and leave nothing behind.
func TestNewGivesUpOnEndlessSweeps(t *testing.T) {
	if !canLock {
		t.Skip("no flock: Sweep removes nothing")
	}
	base := t.TempDir()
	made := 0
	testHookMade = func(p string) {
		made++
		must(t, os.Remove(p))
	}
	t.Cleanup(func() { testHookMade = nil })
	d, err := New(base, "req")
	if !errors.Is(err, errSwept) || d != nil {
		t.Fatalf("New = %v, %v; want errSwept", d, err)
	}
	if made != newAttempts {
		t.Fatalf("New made %d directories; want %d", made, newAttempts)
	}
	if entries, _ := os.ReadDir(base); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}
