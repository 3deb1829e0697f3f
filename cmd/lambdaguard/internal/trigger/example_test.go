package trigger_test

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdaguard/lambdaguard/cmd/lambdaguard/internal/trigger"
)

// An SQS batch of two messages, decoded as the function receives it.
func ExampleBuild() {
	docs, err := trigger.Build("sqs", trigger.Options{Messages: []string{"hoge", "fuga"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(docs[0], &ev); err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range ev.Records {
		fmt.Println(r.EventSource, r.EventSourceARN, r.Body, r.Md5OfBody)
	}
	// Output:
	// aws:sqs arn:aws:sqs:us-east-1:123456789012:my-queue hoge ea703e7aa1efda0064eaa507d9e8ab7e
	// aws:sqs arn:aws:sqs:us-east-1:123456789012:my-queue fuga c32ec965db3295bad074d2afa907b1c3
}
