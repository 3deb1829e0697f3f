package procstate_test

import (
	"fmt"
	"os"

	"github.com/lambdaguard/lambdaguard/internal/procstate"
)

func Example() {
	before := procstate.Take(procstate.Options{NoFDs: true})
	os.Setenv("EXAMPLE_LAST_USER", "alice")
	defer os.Unsetenv("EXAMPLE_LAST_USER")

	for _, c := range procstate.Diff(before, procstate.Take(procstate.Options{NoFDs: true}), nil) {
		fmt.Println(c.What, c.Op, c.Name)
	}
	// Output:
	// env set EXAMPLE_LAST_USER
}
