package readme

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// TestSnippetsCompile builds each ```go block of the README that declares a
// package, through a build overlay: nothing is written into the module.
func TestSnippetsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the README's snippets with the go tool")
	}
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	blocks := goBlock.FindAllSubmatch(readme, -1)
	require.NotEmpty(t, blocks, "the README has Go snippets")

	wd, err := os.Getwd()
	require.NoError(t, err)
	tmp := t.TempDir()
	overlay := map[string]map[string]string{"Replace": {}}
	var pkgs []string
	for i, b := range blocks {
		src := string(b[1])
		if !strings.HasPrefix(strings.TrimSpace(src), "package ") {
			continue // a fragment, not a program
		}
		real := filepath.Join(tmp, "snippet"+string(rune('a'+i))+".go")
		require.NoError(t, os.WriteFile(real, []byte(src), 0o600))
		dir := filepath.Join(wd, "snippet_"+string(rune('a'+i)))
		overlay["Replace"][filepath.Join(dir, "main.go")] = real
		pkgs = append(pkgs, "./"+filepath.Base(dir))
	}
	require.NotEmpty(t, pkgs, "at least one snippet is a whole program")
	ov, err := json.Marshal(overlay)
	require.NoError(t, err)
	ovFile := filepath.Join(tmp, "overlay.json")
	require.NoError(t, os.WriteFile(ovFile, ov, 0o600))

	for _, p := range pkgs {
		cmd := exec.Command("go", "build", "-overlay", ovFile, "-o", os.DevNull, p)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "README snippet %s does not compile:\n%s", p, out)
	}
}
