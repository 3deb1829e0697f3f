package envfile_test

import (
	"fmt"

	"github.com/lambdaguard/lambdaguard/cmd/lambdaguard/internal/envfile"
)

func ExampleParse() {
	env, err := envfile.Parse("fn.env", []byte(`# the function's configuration
TABLE=orders
export STAGE = dev   # inline comment
GREETING="hello\nworld"
PATTERN='${not} #interpolated'
EMPTY=
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, kv := range env {
		fmt.Printf("%q\n", kv)
	}
	// Output:
	// "TABLE=orders"
	// "STAGE=dev"
	// "GREETING=hello\nworld"
	// "PATTERN=${not} #interpolated"
	// "EMPTY="
}
