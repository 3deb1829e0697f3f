package report_test

import (
	"fmt"
	"os"

	"github.com/lambdaguard/lambdaguard/cmd/lambdaguard/internal/report"
)

func ExampleParse() {
	for _, line := range []string{
		`{"level":"INFO","msg":"hello"}`,
		`{"level":"WARN","msg":"leak","lambdaguard_report":{"invocation_id":"req-2","findings":[{"kind":"global","name":"last","path":"last.Message","detail":"string len=4"}]}}`,
	} {
		r, ok := report.Parse(line)
		fmt.Println(ok, r.InvocationID, len(r.Findings))
	}
	// Output:
	// false  0
	// true req-2 1
}

func ExampleCollector_WriteSummary() {
	var c report.Collector
	r, _ := report.Parse(`{"lambdaguard_report":{"invocation_id":"req-2","findings":[{"kind":"global","name":"last","path":"last.Message","detail":"string len=4"}]}}`)
	c.Add(r)
	_ = c.WriteSummary(os.Stdout, func(string) string { return "invocation 2" })
	// Output:
	// lambdaguard: 1 finding in 1 invocation:
	//   invocation 2, request req-2
	//     global  last  last.Message  string len=4
}
