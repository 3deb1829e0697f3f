package awssdk_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/lambdaguard/lambdaguard/tracing"
	"github.com/lambdaguard/lambdaguard/tracing/awssdk"
)

func ExampleAppendMiddlewares() {
	// A stand-in for SQS, on loopback.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"MessageId":"5fea7756-0ea4-451a-a703-a558b933e274"}`)
	}))
	defer srv.Close()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))

	cfg := aws.Config{ // in a function: config.LoadDefaultConfig(ctx)
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  aws.AnonymousCredentials{},
	}
	awssdk.AppendMiddlewares(&cfg.APIOptions, tracing.WithTracerProvider(tp))
	client := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.DisableMessageChecksumValidation = true })

	_, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl:    aws.String("https://sqs.eu-west-1.amazonaws.com/123456789012/orders"),
		MessageBody: aws.String(`{"orderId":42}`),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range sr.Ended() {
		fmt.Println(s.Name(), s.SpanKind())
	}
	_ = tp.Shutdown(context.Background())
	// Output:
	// SQS.SendMessage client
	// send orders producer
}
