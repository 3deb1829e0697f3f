package bench_test

import (
	"os"
	"strings"
	"testing"
)

// TestTracedIsBasic keeps bench/traced's handler examples/basic's, line for
// line: the start-up and binary sizes scripts/bench.sh compares are those of
// one function with and without tracing.
func TestTracedIsBasic(t *testing.T) {
	handler := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		start, end := strings.Index(s, "// caller is who"), strings.Index(s, "func main() {")
		if start < 0 || end < start {
			t.Fatalf("%s: no handler between %q and %q", path, "// caller is who", "func main() {")
		}
		return s[start:end]
	}
	if basic, traced := handler("../examples/basic/main.go"), handler("traced/main.go"); basic != traced {
		t.Fatal("bench/traced/main.go's handler is no longer examples/basic's: copy it again")
	}
}
