package goroutines_test

import (
	"context"
	"fmt"
	"time"

	"github.com/lambdaguard/lambdaguard/internal/goroutines"
)

func Example() {
	if _, err := goroutines.EnableLabels(); err != nil {
		fmt.Println(err)
		return
	}
	stop := make(chan struct{})
	defer close(stop)

	_, restore := goroutines.Mark(context.Background(), "invocation-1")
	go func() { <-stop }() // started by the invocation, outlives it
	restore()

	look := func() []goroutines.Group { return goroutines.Labelled(nil) }
	for _, g := range goroutines.Of(goroutines.Await("invocation-1", 50*time.Millisecond, look), "invocation-1") {
		fmt.Println(g.Count, "goroutine(s) still running")
	}
	// Output:
	// 1 goroutine(s) still running
}
