package taint_test

import (
	"fmt"
	"strconv"

	"github.com/lambdaguard/lambdaguard/internal/taint"
)

// Request data is found in the JSON body of an API Gateway request, and
// its path names where; a report prints it with the keys redacted.
func Example() {
	payload := []byte(`{"rawPath":"/jobs","body":"{\"job\":{\"url\":\"https://example.com/report/42\"}}"}`)
	ts := taint.Of(payload, "req-7f3a")
	if t, ok := taint.Find(`{"served":"https://example.com/report/42"}`, ts); ok {
		fmt.Println("found request data at", t.Where(strconv.Quote))
		fmt.Println("reported as", t.Where(func(k string) string { return fmt.Sprintf("key(len=%d)", len(k)) }))
	}
	// Output:
	// found request data at ["body"].(json)["job"]["url"]
	// reported as [key(len=4)].(json)[key(len=3)][key(len=3)]
}

// A response that carries a string of another invocation's request, and not
// of its own, is crosstalk.
func ExampleFindCrosstalk() {
	first := taint.NewRequest(1, []byte(`{"message":"hoge"}`), "req-1")
	second := taint.NewRequest(2, []byte(`{"message":"fuga"}`), "req-2")
	for _, c := range taint.FindCrosstalk([]byte(`"warmstart, message=hoge"`), second, []taint.Request{first}) {
		fmt.Println(c.Detail())
	}
	// Output:
	// carries request data of invocation 1 ([key(len=7)], string(len=4)): a warm start served a previous caller's value
}
