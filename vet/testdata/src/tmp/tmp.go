package tmp

import (
	"context"
	"io/ioutil"
	"os"
	"path/filepath"

	"github.com/lambdaguard/lambdaguard/guard"
)

func handle(ctx context.Context, body string) (string, error) {
	_ = os.WriteFile(filepath.Join(os.TempDir(), "last.txt"), []byte(body), 0o600) // want `os.WriteFile creates a file under the process temp dir.* use guard.TempDir or guard.TempRoot \(handler handle: handle\)`
	_ = os.WriteFile("/tmp/last.txt", []byte(body), 0o600)                         // want `os.WriteFile creates a file under the process temp dir`
	f, _ := os.Create("/tmp/" + body)                                              // want `os.Create creates a file under the process temp dir`
	_ = f
	g, _ := os.CreateTemp("", "upload-") // want `os.CreateTemp creates a file under the process temp dir`
	_ = g
	_ = os.MkdirAll(os.TempDir()+"/cache", 0o700) // want `os.MkdirAll creates a file under the process temp dir`
	d, _ := os.MkdirTemp("", "work-")             // want `os.MkdirTemp creates a file under the process temp dir`
	_ = d
	old, _ := ioutil.TempFile("", "old-") // want `ioutil.TempFile creates a file under the process temp dir`
	_ = old

	// Not reported: the invocation's own directory, and temp files the
	// function removes itself.
	dir, err := guard.TempDir(ctx)
	if err != nil {
		return "", err
	}
	_ = os.WriteFile(filepath.Join(dir, "body.txt"), []byte(body), 0o600)
	scratch, _ := os.MkdirTemp("", "scratch-")
	defer os.RemoveAll(scratch)
	h, _ := os.CreateTemp("", "spool-")
	defer os.Remove(h.Name())
	k, _ := os.MkdirTemp("", "k-")
	defer func() { _ = os.RemoveAll(k) }()
	root, _ := guard.TempRoot(ctx)
	_ = root.WriteFile("x", []byte(body), 0o600)
	_ = os.WriteFile("relative.txt", nil, 0o600)
	return "", nil
}

func Main() {
	_ = os.WriteFile(filepath.Join(os.TempDir(), "init.txt"), nil, 0o600) // before the handler: not reported
	guard.Start(handle)
}
