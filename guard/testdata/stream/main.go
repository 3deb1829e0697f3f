// Command stream is a bootstrap for guard's end-to-end streaming test: a
// function URL handler in RESPONSE_STREAM mode whose body background work
// produces through an io.Pipe, after the handler has returned. With
// "fail": true the producer breaks off half-way.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/scope"
)

type request struct {
	Rows int  `json:"rows"`
	Fail bool `json:"fail"`
}

func handle(ctx context.Context, req request) (*events.LambdaFunctionURLStreamingResponse, error) {
	pr, pw := io.Pipe()
	sc := scope.From(ctx)
	_ = sc.OnClose(func(context.Context) error {
		fmt.Println("invocation closed after the body")
		return nil
	})
	err := sc.Go(func(ctx context.Context) error {
		for i := range req.Rows {
			if req.Fail && i == req.Rows/2 {
				return pw.CloseWithError(errors.New("the export broke off at row " + fmt.Sprint(i)))
			}
			if err := ctx.Err(); err != nil {
				return pw.CloseWithError(err)
			}
			if _, err := fmt.Fprintf(pw, "row %d\n", i); err != nil {
				return err
			}
		}
		return pw.Close()
	})
	if err != nil {
		return nil, err
	}
	return &events.LambdaFunctionURLStreamingResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "text/csv"},
		Body:       pr,
	}, nil
}

func main() { guard.Start(handle) }
