package bench_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambdaguard/lambdaguard/guard"
)

// processOrder is sqsHandler's work for one message.
func processOrder(_ context.Context, m events.SQSMessage) error {
	var o order
	if err := json.Unmarshal([]byte(m.Body), &o); err != nil || o.Quantity <= 0 {
		return errors.New("not an order")
	}
	return nil
}

// BenchmarkBatch measures what guard.SQS costs per record: the same guarded
// function over the 10-message batch, once as a plain loop over the records
// (sqsHandler) and once through guard.SQS, which gives each record a scope
// and a temp directory of its own. Both pay the guard's per-invocation cost
// alike; the difference, per record, is the helper's.
func BenchmarkBatch(b *testing.B) {
	opts := []guard.Option{guard.WithTempBase(benchBase), guard.WithDebug(false), guard.WithLogger(quiet)}
	payload := fixture(b, "sqs-batch-10.json")
	for _, tc := range []struct {
		name string
		h    lambda.Handler
	}{
		{"loop", lambda.NewHandler(guard.Wrap(sqsHandler, opts...))},
		{"guard-sqs", lambda.NewHandler(guard.Wrap(guard.SQS(processOrder), opts...))},
	} {
		b.Run("handler="+tc.name, func(b *testing.B) {
			ctx := lambdaContext(b)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tc.h.Invoke(ctx, payload); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10, "ns/record")
		})
	}
}
