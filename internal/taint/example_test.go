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
