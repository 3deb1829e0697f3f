package tmpfs_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lambdaguard/lambdaguard/tmpfs"
)

func Example() {
	base, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(base)

	// The name may come from a request: it cannot steer the directory.
	d, err := tmpfs.New(base, "../../etc")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(filepath.Dir(d.Path()) == base, strings.HasPrefix(filepath.Base(d.Path()), "lambdaguard-______etc-"))

	_ = d.Root().WriteFile("report.csv", []byte("a,b\n"), 0o600)
	u, _ := d.Usage()
	fmt.Println(u.Files, "file,", u.Bytes, "bytes")

	_ = d.Wipe()
	_, err = os.Stat(d.Path())
	fmt.Println("gone:", os.IsNotExist(err))
	// Output:
	// true true
	// 1 file, 4 bytes
	// gone: true
}
