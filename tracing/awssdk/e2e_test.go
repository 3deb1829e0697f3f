package awssdk_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

// deliver turns the SendMessage the fake received into the SQS event that
// SQS would invoke the consumer with: sqs-event.json's first record, with
// the message's body, attributes and AWSTraceHeader.
func deliver(t *testing.T, sent call) []byte {
	t.Helper()
	var in struct {
		MessageBody             string
		MessageAttributes       map[string]struct{ DataType, StringValue string }
		MessageSystemAttributes map[string]struct{ StringValue string }
	}
	require.NoError(t, json.Unmarshal(sent.body, &in))
	b, err := os.ReadFile(filepath.Join("..", "testdata", "sqs-event.json"))
	require.NoError(t, err)
	var ev events.SQSEvent
	require.NoError(t, json.Unmarshal(b, &ev))
	m := ev.Records[0]
	m.Body = in.MessageBody
	m.EventSourceARN = "arn:aws:sqs:eu-west-1:123456789012:orders"
	m.MessageAttributes = map[string]events.SQSMessageAttribute{}
	for k, a := range in.MessageAttributes {
		m.MessageAttributes[k] = events.SQSMessageAttribute{DataType: a.DataType, StringValue: aws.String(a.StringValue)}
	}
	m.Attributes["AWSTraceHeader"] = in.MessageSystemAttributes["AWSTraceHeader"].StringValue
	ev.Records = []events.SQSMessage{m}
	out, err := json.Marshal(ev)
	require.NoError(t, err)
	return out
}

func lambdaCtx(reqID string) context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID: reqID, InvokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:shop",
	})
}

// End to end: an HTTP function calls a second function over HTTP, which
// sends an SQS message through the SDK; a third function consumes it. One
// trace, and the consumer's span linked to the producer's.
func TestEndToEnd(t *testing.T) {
	for _, form := range []string{"typed", "raw"} {
		t.Run(form, func(t *testing.T) {
			t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "shop")
			t.Setenv("OTEL_PROPAGATORS", "")
			fake := newFakeAWS(t)
			tp, sr := recorder(t)
			topt := tracing.WithTracerProvider(tp)

			// The second function, behind HTTP, sends the message.
			sqsClient := sqs.NewFromConfig(sdkConfig(fake, tp), func(o *sqs.Options) { o.DisableMessageChecksumValidation = true })
			orders := httptest.NewServer(guard.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, err := sqsClient.SendMessage(r.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(`{"orderId":42}`)})
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadGateway)
					return
				}
				w.WriteHeader(http.StatusAccepted)
			}), guard.WithTempBase(t.TempDir()), tracing.WithTracing(topt)))
			defer orders.Close()

			// The first function, behind API Gateway, calls it.
			base := &http.Transport{}
			defer base.CloseIdleConnections()
			client := &http.Client{Transport: tracing.NewTransport(base, topt)}
			front := guard.Wrap(func(ctx context.Context, _ events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, orders.URL+"/orders", nil)
				if err != nil {
					return events.APIGatewayV2HTTPResponse{}, err
				}
				resp, err := client.Do(req)
				if err != nil {
					return events.APIGatewayV2HTTPResponse{}, err
				}
				resp.Body.Close()
				return events.APIGatewayV2HTTPResponse{StatusCode: resp.StatusCode}, nil
			}, guard.WithTempBase(t.TempDir()), tracing.WithTracing(topt))
			b, err := os.ReadFile(filepath.Join("..", "testdata", "apigw-v2.json"))
			require.NoError(t, err)
			var req events.APIGatewayV2HTTPRequest
			require.NoError(t, json.Unmarshal(b, &req))
			res, err := front(lambdaCtx("req-front"), req)
			require.NoError(t, err)
			require.Equal(t, http.StatusAccepted, res.StatusCode)

			// The consumer.
			calls := fake.sent()
			require.Len(t, calls, 1)
			delivery := deliver(t, calls[0])
			copts := []guard.Option{guard.WithTempBase(t.TempDir()), tracing.WithTracing(topt)}
			if form == "typed" {
				var ev events.SQSEvent
				require.NoError(t, json.Unmarshal(delivery, &ev))
				_, err = guard.Wrap(func(context.Context, events.SQSEvent) (string, error) { return "", nil }, copts...)(lambdaCtx("req-consumer"), ev)
			} else {
				_, err = guard.WrapHandler(rawHandler(func(context.Context, []byte) ([]byte, error) { return nil, nil }), copts...).Invoke(lambdaCtx("req-consumer"), delivery)
			}
			require.NoError(t, err)

			spans := sr.Ended()
			byName := map[string]sdktrace.ReadOnlySpan{}
			for _, s := range spans {
				byName[s.Name()+"/"+s.SpanKind().String()] = s
			}
			for _, name := range []string{"POST /orders/server", "POST/client", "POST/server", "send orders/producer", "SQS.SendMessage/client", "process orders/consumer"} {
				require.Contains(t, byName, name, "spans: %v", names(spans))
			}
			trace0 := byName["POST /orders/server"].Parent().TraceID()
			for _, s := range spans {
				assert.Equal(t, trace0, s.SpanContext().TraceID(), "%s: one trace", s.Name())
			}
			producer, consumer := byName["send orders/producer"], byName["process orders/consumer"]
			assert.Equal(t, trace.SpanKindProducer, producer.SpanKind())
			assert.Equal(t, trace.SpanKindConsumer, consumer.SpanKind())
			var linked []trace.SpanID
			for _, l := range consumer.Links() {
				linked = append(linked, l.SpanContext.SpanID())
			}
			assert.Contains(t, linked, producer.SpanContext().SpanID(), "the consumer links the producer")
			assert.Equal(t, producer.SpanContext().SpanID(), consumer.Parent().SpanID())
		})
	}
}

// rawHandler is a byte-level lambda.Handler.
type rawHandler func(context.Context, []byte) ([]byte, error)

func (h rawHandler) Invoke(ctx context.Context, p []byte) ([]byte, error) { return h(ctx, p) }

func names(spans []sdktrace.ReadOnlySpan) []string {
	var n []string
	for _, s := range spans {
		n = append(n, s.Name()+"/"+s.SpanKind().String())
	}
	return n
}
