// Command back is the function-URL-triggered function of the traced example:
// it continues the trace of whoever called it and answers with its id.
// Build: GOOS=linux CGO_ENABLED=0 go build -o bootstrap ./examples/traced/back
package main

import (
	"context"
	"log"

	"github.com/lambdaguard/lambdaguard/examples/traced/app"
	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

func main() {
	tp, err := app.Provider(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	guard.Start(app.Back(app.Logger()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
}
