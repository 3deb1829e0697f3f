package goroutines_test

import (
	"context"
	"fmt"
	"time"

	"github.com/lambdaguard/lambdaguard/internal/goroutines"
)

func Example() {
	stop := make(chan struct{})
	defer close(stop)

	_, restore := goroutines.Mark(context.Background(), "invocation-1")
	go func() { <-stop }() // started by the invocation, outlives it
	restore()

	for _, g := range goroutines.Alive("invocation-1", 50*time.Millisecond, nil) {
		fmt.Println(g.Count, "goroutine(s) still running")
	}
	// Output:
	// 1 goroutine(s) still running
}
