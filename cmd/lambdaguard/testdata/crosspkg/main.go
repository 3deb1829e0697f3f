// Command crosspkg is a function whose handler keeps state through a
// package of its own module: lambdaguard vet follows the call.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"example.com/crosspkg/store"
)

func handle(ctx context.Context, msg string) (string, error) {
	prev := store.Last()
	store.Remember(msg)
	return prev, nil
}

func main() {
	lambda.Start(handle)
}
