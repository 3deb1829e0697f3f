// Package reliability_test is lambdaguard's fault-injection suite: each test
// is a row of the matrix in docs/RELIABILITY.md, and runs the real packages —
// guard, scope, tmpfs, tracing and, for the end-to-end rows, a compiled
// bootstrap under the Runtime API runner.
package reliability_test

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lambdaguard/lambdaguard/internal/runtimeapi"
	"github.com/lambdaguard/lambdaguard/internal/testbin"
)

// helperEnv makes the test binary run a helper instead of the tests: the
// unprivileged wipe runs in a child process as another user.
const helperEnv = "LAMBDAGUARD_RELIABILITY_HELPER"

func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(runHelper(h))
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { testbin.Cleanup() }))
}

// bootstrap builds testdata/fn, a guarded function, once per test run.
func bootstrap(t *testing.T) string {
	t.Helper()
	return testbin.Build(t, "./testdata/fn")
}

// sentinelTree makes a tree that no wipe or sweep may touch: files, a nested
// directory, a read-only file, a symlink. It returns the tree's root.
func sentinelTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "nested", "deeper"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "secret"), []byte("keep me"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "readonly"), []byte("and me"), 0o400))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "nested", "deeper", "also"), []byte("me too"), 0o600))
	require.NoError(t, os.Symlink("secret", filepath.Join(dir, "link")))
	return dir
}

// checksum describes a tree without following symlinks, one line per entry:
// its relative path, type and permission bits, a file's size and SHA-256, a
// link's target. Any change a wipe could make outside its directory — a
// removed or emptied file, a chmod, a replaced link — changes it, and a
// failing comparison shows which entry changed.
func checksum(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		line := fmt.Sprintf("%q %v", rel, info.Mode())
		switch {
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" %d sha256:%x", len(b), sha256.Sum256(b))
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			line += " -> " + target
		}
		lines = append(lines, line)
		return nil
	})
	require.NoError(t, err)
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// gone asserts that p no longer exists.
func gone(t *testing.T, p string) {
	t.Helper()
	_, err := os.Lstat(p)
	require.ErrorIs(t, err, fs.ErrNotExist, "%s still exists", p)
}

// emptyDir asserts that dir holds nothing.
func emptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	require.Empty(t, names, "%s is not empty", dir)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// logSink collects what a function under the runner prints.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (s *logSink) add(l runtimeapi.Line) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, l.Text)
}

func (s *logSink) find(prefix string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.lines) - 1; i >= 0; i-- {
		if rest, ok := strings.CutPrefix(s.lines[i], prefix); ok {
			return rest, true
		}
	}
	return "", false
}

// waitFor waits until the function has printed line. Output travels through
// a pipe and may trail the invocation's result a little; the bound only
// keeps a missing line from hanging the test.
func (s *logSink) waitFor(t *testing.T, line string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s.mu.Lock()
		found := slices.Contains(s.lines, line)
		s.mu.Unlock()
		if found {
			return
		}
		if time.Now().After(deadline) {
			s.mu.Lock()
			defer s.mu.Unlock()
			t.Fatalf("the function never printed %q; it printed:\n%s", line, strings.Join(s.lines, "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// value returns the rest of the latest line that starts with prefix.
func (s *logSink) value(t *testing.T, prefix string) string {
	t.Helper()
	v, ok := s.find(prefix)
	require.True(t, ok, "no line starts with %q", prefix)
	return v
}
