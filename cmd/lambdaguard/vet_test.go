package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repoRoot is the repository's root, from this package's directory.
var repoRoot = filepath.Join("..", "..")

// lineOf returns the 1-based line of file holding text, failing the test
// when it is not there exactly once: the findings are checked against the
// source lines they are about, not against numbers that drift.
func lineOf(t *testing.T, file, text string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var found []int
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, text) {
			found = append(found, i+1)
		}
	}
	require.Len(t, found, 1, "%q in %s", text, file)
	return found[0]
}

// TestVetLeaky runs lambdaguard vet on examples/leaky, from the example's
// directory as a user would: each of the bugs its doc lists is reported on
// its line, naming the handler.
func TestVetLeaky(t *testing.T) {
	dir := filepath.Join(repoRoot, "examples", "leaky")
	main := filepath.Join(dir, "main.go")
	res := runCLI(t, nil, "vet", "-C", dir, "./...")
	require.Equal(t, exitFindings, res.code, "stderr: %s", res.err)
	lines := strings.Split(strings.TrimSpace(res.out), "\n")
	bugs := []struct {
		name, source, message string
	}{
		{"the last caller's message kept in a package-level variable", "lastMessage = msg", `write to package-level variable lastMessage`},
		{"a file written straight to /tmp", "leaky-last-message.txt", `os.WriteFile creates a file under the process temp dir`},
		{"request data put in the environment", "os.Setenv(", `os.Setenv changes the process environment`},
		{"a goroutine that outlives the handler", "go auditLoop(msg)", `goroutine started and not joined before the handler returns`},
	}
	for _, bug := range bugs {
		t.Run(bug.name, func(t *testing.T) {
			want := regexp.MustCompile(fmt.Sprintf(`^\./main\.go:%d:\d+: %s.*\(handler handle: handle\)$`, lineOf(t, main, bug.source), bug.message))
			matched := 0
			for _, l := range lines {
				if want.MatchString(l) {
					matched++
				}
			}
			assert.Equal(t, 1, matched, "want one line matching %s in:\n%s", want, res.out)
		})
	}
	assert.Len(t, lines, len(bugs), "nothing but the example's bugs")
}

// TestVetClean runs lambdaguard vet on the functions written the way the
// README recommends, and on bench/bare (plain aws-lambda-go, its own temp
// directory removed by hand): nothing is reported. Each runs from its own
// directory, whichever module it belongs to.
func TestVetClean(t *testing.T) {
	for _, dir := range []string{
		"examples/basic",
		"examples/traced",
		"examples/postgres",
		"bench/bare",
	} {
		t.Run(dir, func(t *testing.T) {
			res := runCLI(t, nil, "vet", "-C", filepath.Join(repoRoot, filepath.FromSlash(dir)), "./...")
			assert.Equal(t, exitOK, res.code, "stderr: %s", res.err)
			assert.Empty(t, res.out)
		})
	}
}

// TestVetJSON: -json prints the findings as analysis tools do, a tree of
// package, analyzer and diagnostics, and the exit status still says what
// was found.
func TestVetJSON(t *testing.T) {
	dir := filepath.Join(repoRoot, "examples", "leaky")
	res := runCLI(t, nil, "vet", "-json", "-C", dir, ".")
	require.Equal(t, exitFindings, res.code, "stderr: %s", res.err)
	var tree map[string]map[string][]struct {
		Posn    string `json:"posn"`
		Message string `json:"message"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.out), &tree), "%s", res.out)
	require.Len(t, tree, 1)
	for _, byAnalyzer := range tree {
		diags := byAnalyzer["lambdaguard"]
		require.Len(t, diags, 4)
		for _, d := range diags {
			assert.Regexp(t, `main\.go:\d+:\d+$`, d.Posn)
			assert.Contains(t, d.Message, "(handler handle: handle)")
		}
	}
}

// TestVetExitStatus covers what is neither clean nor findings: usage
// errors and packages that do not load.
func TestVetExitStatus(t *testing.T) {
	broken := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(broken, "go.mod"), []byte("module broken\n\ngo 1.26\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(broken, "main.go"), []byte("package main\n\nfunc main() { undefined() }\n"), 0o600))
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"unknown flag", []string{"vet", "-bogus", "."}, exitUsage, "flag provided but not defined"},
		{"flag after the packages", []string{"vet", ".", "-json"}, exitUsage, "flag -json after the packages"},
		{"help", []string{"vet", "-h"}, exitOK, ""},
		{"type error", []string{"vet", "-C", broken, "."}, exitFailure, "undefined: undefined"},
		{"no such directory", []string{"vet", "-C", broken, "./nothing"}, exitFailure, "directory not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCLI(t, nil, tc.args...)
			assert.Equal(t, tc.code, res.code)
			assert.Contains(t, res.err, tc.stderr)
			if tc.code == exitOK {
				assert.Contains(t, res.out, "Usage: lambdaguard vet")
			}
		})
	}
}

// TestVetAcrossPackages: a handler that keeps state through another
// package of its module is reported at the call, with the place in the
// other package and the path, whether that package is named on the command
// line or only imported.
func TestVetAcrossPackages(t *testing.T) {
	dir := filepath.Join("testdata", "crosspkg")
	line := lineOf(t, filepath.Join(dir, "main.go"), "store.Remember(msg)")
	storeLine := lineOf(t, filepath.Join(dir, "store", "store.go"), "last = msg")
	for _, pattern := range []string{".", "./..."} {
		t.Run(pattern, func(t *testing.T) {
			res := runCLI(t, nil, "vet", "-C", dir, pattern)
			require.Equal(t, exitFindings, res.code, "stderr: %s", res.err)
			assert.Regexp(t, fmt.Sprintf(`^\./main\.go:%d:\d+: write to package-level variable store\.last: .*, at store\.go:%d:\d+ \(handler handle: handle → store\.Remember\)\n$`, line, storeLine), res.out)
		})
	}
}
