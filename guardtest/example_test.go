package guardtest_test

import (
	"context"
	"fmt"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/guardtest"
)

var lastCaller string

func remember(ctx context.Context, name string) (string, error) {
	greeting := "hello " + name
	if lastCaller != "" {
		greeting += " (last caller: " + lastCaller + ")"
	}
	lastCaller = name
	return greeting, nil
}

// Check returns the findings for a test to assert on; Run fails the test with
// them instead.
func ExampleCheck() {
	guard.Watch("lastCaller", &lastCaller) // in a test: guardtest.Watch(t, "lastCaller", &lastCaller)

	results, err := guardtest.Check(guardtest.Config{}, remember, "alice", "carol")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(results[1].Output)
	for _, f := range results[1].Findings {
		fmt.Println(f.Kind, f.Path)
	}
	// Output:
	// hello carol (last caller: alice)
	// global lastCaller
	// taint lastCaller
	// taint response
}

func ExampleRun() {
	// In a test:
	//
	//	func TestNoLeaks(t *testing.T) {
	//		guardtest.Run(t, handler, eventA, eventB)
	//	}
	//
	// Run fails t with a report like:
	//
	//	guardtest: 3 finding(s): state outlived an invocation
	//	invocation 2 of 2 (guardtest-1-0002): 3 finding(s)
	//	    global    lastCaller: changed from string(len=5, hash=…) to string(len=3, hash=…)
	//	    taint     lastCaller: holds request data from request (string(len=3, hash=…)) …
	//	    taint     response: carries request data of invocation 1 (…): a warm start served a previous caller's value
}
