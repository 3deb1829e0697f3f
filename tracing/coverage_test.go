package tracing_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

var update = flag.Bool("update", false, "rewrite the trigger table in docs/TRACING.md from the samples")

// tracingDoc holds the trigger table, between these markers.
const (
	tracingDoc  = "../docs/TRACING.md"
	tableBegin  = "<!-- trigger table: written by TestTriggerTable (go test ./tracing -run TestTriggerTable -update) -->\n"
	tableEnd    = "<!-- end of trigger table -->\n"
	rootOnlyTag = "X-Ray Root only"
)

// sample is one event of testdata, with the type a typed handler takes
// and where its span's parent comes from.
type sample struct {
	trigger string
	fixture string
	typed   func(*testing.T, string, ...guard.Option) func(context.Context)
	parent  string // "none", or where the parent is read from
}

// samples are the events of aws-lambda-go's events/testdata (copied
// under their names), those derived from them (named for what was added),
// and this package's own.
var samples = []sample{
	{"API Gateway REST", "apigw-request.json", typed[events.APIGatewayProxyRequest], "none"},
	{"API Gateway REST", "apigw-v1.json", typed[events.APIGatewayProxyRequest], "headers (traceparent)"},
	{"API Gateway HTTP", "apigw-v2-request-no-authorizer.json", typed[events.APIGatewayV2HTTPRequest], "headers (" + rootOnlyTag + ")"},
	{"API Gateway HTTP", "apigw-v2.json", typed[events.APIGatewayV2HTTPRequest], "headers (traceparent)"},
	{"API Gateway websocket", "apigw-websocket-request.json", typed[events.APIGatewayWebsocketProxyRequest], "none"},
	{"API Gateway REQUEST authorizer", "apigw-custom-auth-request-type-request.json", typed[events.APIGatewayCustomAuthorizerRequestTypeRequest], "none"},
	{"API Gateway TOKEN authorizer", "apigw-custom-auth-request.json", typed[events.APIGatewayCustomAuthorizerRequest], "none"},
	{"HTTP API authorizer v1", "apigw-v2-custom-authorizer-v1-request.json", typed[events.APIGatewayV2CustomAuthorizerV1Request], "none"},
	{"HTTP API authorizer v2", "apigw-v2-custom-authorizer-v2-request.json", typed[events.APIGatewayV2CustomAuthorizerV2Request], "none"},
	{"ALB", "alb-lambda-target-request-headers-only.json", typed[events.ALBTargetGroupRequest], "headers (" + rootOnlyTag + ")"},
	{"ALB", "alb-lambda-target-request-multivalue-headers.json", typed[events.ALBTargetGroupRequest], "headers (" + rootOnlyTag + ")"},
	{"function URL", "lambda-urls-request.json", typed[events.LambdaFunctionURLRequest], "none"},
	{"SQS", "sqs-event.json", typed[events.SQSEvent], "none"},
	{"SQS", "sqs-single.json", typed[events.SQSEvent], "the message's attributes (traceparent)"},
	{"SQS", "sqs-batch.json", typed[events.SQSEvent], "none (a link per message)"},
	{"SQS", "sqs-traceparent-and-xray.json", typed[events.SQSEvent], "the message's attributes (traceparent)"},
	{"SNS via SQS", "sqs-sns-envelope.json", typed[events.SQSEvent], "the SNS notification in the body"},
	{"SNS", "sns-event.json", typed[events.SNSEvent], "none"},
	{"SNS", "sns.json", typed[events.SNSEvent], "the message's attributes (traceparent)"},
	{"Kinesis", "kinesis-event.json", typed[events.KinesisEvent], "none"},
	{"Kinesis time window", "kinesis-time-window-event.json", typed[events.KinesisTimeWindowEvent], "none"},
	{"DynamoDB stream", "dynamodb-event.json", typed[events.DynamoDBEvent], "none"},
	{"DynamoDB time window", "dynamodb-time-window-event.json", typed[events.DynamoDBTimeWindowEvent], "none"},
	{"S3", "s3-event.json", typed[events.S3Event], "none"},
	{"Kafka (MSK)", "kafka-event.json", typed[events.KafkaEvent], "none"},
	{"Kafka (self-managed)", "kafka-self-managed-traceparent.json", typed[events.KafkaEvent], "the record's headers (traceparent)"},
	{"Amazon MQ (ActiveMQ)", "activemq-event.json", typed[events.ActiveMQEvent], "none"},
	{"Amazon MQ (ActiveMQ)", "activemq-traceparent.json", typed[events.ActiveMQEvent], "the message's properties (traceparent)"},
	{"Amazon MQ (RabbitMQ)", "rabbitmq-event.json", typed[events.RabbitMQEvent], "none"},
	{"Amazon MQ (RabbitMQ)", "rabbitmq-traceparent.json", typed[events.RabbitMQEvent], "the message's headers (traceparent)"},
	{"EventBridge", "eventbridge.json", typed[events.EventBridgeEvent], "the detail's traceContext"},
	{"EventBridge schedule", "scheduled.json", typed[events.EventBridgeEvent], "none"},
	{"direct invocation", "direct.json", typed[order], "the payload's traceContext"},
}

// spanSummary is what the table says of a span, and what typed and raw
// must agree on.
type spanSummary struct {
	kind, name, parent string
	attrs, links       []string
}

// perInvocation are the attributes every span has, whatever the trigger.
var perInvocation = []string{"faas.invocation_id", "faas.coldstart", "aws.lambda.invoked_arn", "cloud.account.id", "cloud.resource_id"}

func summarise(s sdktrace.ReadOnlySpan) spanSummary {
	var attrs []string
	for _, kv := range s.Attributes() {
		if !slices.Contains(perInvocation, string(kv.Key)) {
			attrs = append(attrs, fmt.Sprintf("%s=%s", kv.Key, kv.Value.String()))
		}
	}
	slices.Sort(attrs)
	sum := spanSummary{kind: s.SpanKind().String(), name: s.Name(), attrs: attrs}
	if p := s.Parent(); p.IsValid() {
		sum.parent = p.TraceID().String() + "/" + p.SpanID().String()
	}
	for _, l := range s.Links() {
		sum.links = append(sum.links, l.SpanContext.TraceID().String()+"/"+l.SpanContext.SpanID().String())
	}
	return sum
}

// TestTriggerTable runs every sample through guard.Wrap and
// guard.WrapHandler, requires the same span of both, checks the parent
// against the sample, and compares the table it makes of them with the one
// in docs/TRACING.md.
func TestTriggerTable(t *testing.T) {
	var table strings.Builder
	table.WriteString("| trigger | sample | kind | span name | attributes | parent |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, sm := range samples {
		t.Run(sm.fixture, func(t *testing.T) {
			lambdaEnv(t)
			var got [2]spanSummary
			for i, form := range []string{"typed", "raw"} {
				tp, sr := recorder(t, sdktrace.WithIDGenerator(tracing.NewIDGenerator()))
				opts := []guard.Option{guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp))}
				run := raw(t, sm.fixture, opts...)
				if form == "typed" {
					run = sm.typed(t, sm.fixture, opts...)
				}
				run(invocation("req-1", ""))
				s := only(t, sr)
				got[i] = summarise(s)
				checkParent(t, sm, s)
			}
			require.Equal(t, got[0], got[1], "typed and raw disagree")
			fmt.Fprintf(&table, "| %s | %s | %s | `%s` | %s | %s |\n", sm.trigger, sm.fixture, got[0].kind, got[0].name, codeList(got[0].attrs), sm.parent)
		})
	}
	doc, err := os.ReadFile(tracingDoc)
	require.NoError(t, err)
	before, rest, ok := bytes.Cut(doc, []byte(tableBegin))
	require.True(t, ok, "%s has no %q", tracingDoc, tableBegin)
	_, after, ok := bytes.Cut(rest, []byte(tableEnd))
	require.True(t, ok, "%s has no %q", tracingDoc, tableEnd)
	want := string(before) + tableBegin + table.String() + tableEnd + string(after)
	if *update {
		require.NoError(t, os.WriteFile(tracingDoc, []byte(want), 0o644))
		return
	}
	assert.Equal(t, want, string(doc), "the trigger table in %s is out of date: go test ./tracing -run TestTriggerTable -update", tracingDoc)
}

// checkParent checks the span's parent against where the sample says it
// comes from: the parent's span id is in the event, or for an X-Ray header
// naming only a trace, the span is a root of that trace.
func checkParent(t *testing.T, sm sample, s sdktrace.ReadOnlySpan) {
	t.Helper()
	ev := strings.ToLower(string(fixture(t, sm.fixture)))
	switch {
	case strings.HasPrefix(sm.parent, "none"):
		assert.False(t, s.Parent().IsValid(), "want a root span, parent %v", s.Parent())
	case strings.Contains(sm.parent, rootOnlyTag):
		assert.False(t, s.Parent().IsValid(), "want a root span, parent %v", s.Parent())
		tid := s.SpanContext().TraceID().String()
		assert.Contains(t, ev, tid[:8]+"-"+tid[8:], "the trace is the header's")
	default:
		require.True(t, s.Parent().IsValid(), "want a parent from %s", sm.parent)
		assert.True(t, s.Parent().IsRemote())
		sid := s.Parent().SpanID().String()
		// Kafka and RabbitMQ headers are byte arrays: "00f0…" is [48,48,102,48,…].
		asBytes := make([]string, len(sid))
		for i := range sid {
			asBytes[i] = strconv.Itoa(int(sid[i]))
		}
		compact := strings.Join(strings.Fields(ev), "")
		if !strings.Contains(ev, sid) && !strings.Contains(compact, strings.Join(asBytes, ",")) {
			t.Errorf("the parent %s is not in %s", sid, sm.fixture)
		}
	}
}

// codeList formats attributes as code spans, a table cell's pipes escaped.
func codeList(attrs []string) string {
	cells := make([]string, len(attrs))
	for i, a := range attrs {
		cells[i] = "`" + strings.ReplaceAll(a, "|", `\|`) + "`"
	}
	return strings.Join(cells, " ")
}
