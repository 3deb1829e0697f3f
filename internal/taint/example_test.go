package taint_test

import (
	"fmt"

	"github.com/lambdaguard/lambdaguard/internal/taint"
)

func Example() {
	payload := []byte(`{"queryStringParameters":{"message":"hoge","n":"x"}}`)
	ts := taint.Of(payload, "req-7f3a")
	if t, ok := taint.Find("warmstart, message=hoge", ts); ok {
		fmt.Println("found request data from", t.From)
	}
	// Output:
	// found request data from queryStringParameters.message
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
	// carries request data of invocation 1 (message, string(len=4)): a warm start served a previous caller's value
}
