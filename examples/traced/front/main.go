// Command front is the HTTP-API-triggered function of the traced example: it
// calls the back function's URL (BACK_URL) and answers with the trace both
// ran in. Build: GOOS=linux CGO_ENABLED=0 go build -o bootstrap ./examples/traced/front
package main

import (
	"context"
	"log"
	"os"

	"github.com/lambdaguard/lambdaguard/examples/traced/app"
	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

func main() {
	tp, err := app.Provider(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	opts := []tracing.Option{tracing.WithTracerProvider(tp)}
	client := tracing.NewClient(opts...)
	guard.Start(app.Front(client, os.Getenv("BACK_URL"), app.Logger()), tracing.WithTracing(opts...))
}
