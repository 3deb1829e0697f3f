// Command example keeps the last caller's name for the next one: the bug
// the analyzer's Example finds.
package main

import (
	"context"

	"github.com/lambdaguard/lambdaguard/guard"
)

var lastCaller string

func greet(ctx context.Context, name string) (string, error) {
	prev := lastCaller
	remember(name)
	return "hello " + name + ", after " + prev, nil
}

func remember(name string) {
	lastCaller = name
}

func main() {
	guard.Start(greet)
}
