//go:build !unix

package tmpfs

import (
	"errors"
	"os"
)

// Without the *at system calls every entry is looked at and removed through
// the Dir's Root.

func statAt(*os.File, string) (entry, error) { return entry{}, errors.ErrUnsupported }

func removeAt(*os.File, string) error { return errors.ErrUnsupported }
