package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/guardtest"
)

func batchOf(bodies ...string) events.SQSEvent {
	var ev events.SQSEvent
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId:      fmt.Sprintf("msg-%d", i),
			Body:           b,
			EventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:orders",
		})
	}
	return ev
}

// Batches one after another and at once, in debug mode: nothing of one
// message outlives it, and no response carries another batch's data.
func TestNoLeaks(t *testing.T) {
	sqs := guard.SQS(handle, guard.Concurrently(4))
	results := guardtest.Run(t, sqs,
		batchOf(`{"order":"A-1","customer":"alice"}`, `{"order":"A-2","customer":"bob"}`),
		batchOf(`{"order":"A-3","customer":"carol"}`, `not json`, `{"order":"A-4","customer":"dave"}`),
	)
	require.Len(t, results, 2)
	assert.Empty(t, results[0].Output.BatchItemFailures)
	assert.Equal(t, []events.SQSBatchItemFailure{{ItemIdentifier: "msg-1"}}, results[1].Output.BatchItemFailures,
		"the message that is not an order fails alone")

	guardtest.RunConcurrent(t, 4, sqs,
		batchOf(`{"order":"B-1","customer":"erin"}`), batchOf(`{"order":"B-2","customer":"frank"}`),
		batchOf(`{"order":"B-3","customer":"grace"}`), batchOf(`{"order":"B-4","customer":"heidi"}`))
}

// A message's customer and receipt are its own: the handler run outside a
// batch, on a context with no invocation, refuses to work unguarded.
func TestHandleNeedsAGuard(t *testing.T) {
	err := handle(context.Background(), events.SQSMessage{MessageId: "m", Body: `{"order":"X","customer":"y"}`})
	assert.ErrorIs(t, err, guard.ErrNoInvocation)
}
