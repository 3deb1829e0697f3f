package tracing

import (
	"encoding/json"
	"net/http"
	"reflect"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// source is what the event tells about the invocation: the trigger, the span
// kind and name, where the caller put its trace context.
type source struct {
	trigger attribute.KeyValue
	kind    trace.SpanKind
	name    string // span name; empty: the function name
	attrs   attrList
	carrier propagation.TextMapCarrier // the caller's context; nil: none
	records []record                   // a batch: one producer context each
	http    bool                       // the result may carry a status code
}

// attrList is the attributes a trigger adds to the span, held in the source
// itself rather than in a slice of their own. An HTTP request has the most:
// method and its original, route, path, query, scheme, user agent, client
// and server address, protocol version.
type attrList struct {
	kv [12]attribute.KeyValue
	n  int
}

// add keeps kv; beyond the room there is, it drops it rather than panic
// on the request path.
func (l *attrList) add(kv attribute.KeyValue) {
	if l.n < len(l.kv) {
		l.kv[l.n] = kv
		l.n++
	}
}

// addString adds a string attribute unless its value is empty.
func (l *attrList) addString(k attribute.Key, v string) {
	if v != "" {
		l.add(k.String(v))
	}
}

func (l *attrList) all() []attribute.KeyValue { return l.kv[:l.n] }

// record is one message of a batch.
type record struct {
	id      string
	carrier propagation.TextMapCarrier
	// traceHeader is an X-Ray header the transport added on its own (SQS's
	// AWSTraceHeader), a context apart from the one in carrier.
	traceHeader string
}

var (
	otherSource = source{trigger: semconv.FaaSTriggerOther, kind: trace.SpanKindServer}
	timerSource = source{trigger: semconv.FaaSTriggerTimer, kind: trace.SpanKindServer}
)

// eventsPackage is the import path of aws-lambda-go's event types.
const eventsPackage = "github.com/aws/aws-lambda-go/events"

// classify reads the event the guard handed to the middleware. The event
// types of the triggers are copied into a payload field by field; the other
// types of aws-lambda-go's events package (websockets, authorizers,
// RabbitMQ) are encoded as the JSON Lambda sent, and decoded into a payload
// as a raw event would be. Both go
// through payload.source, so Wrap and WrapHandler give one event one answer.
func classify(event any) source {
	if isNilPointer(event) {
		// aws-lambda-go decodes the payload null into a nil *T: the handler
		// may cope with it; the span must not be the thing that panics.
		return otherSource
	}
	var p payload
	switch e := event.(type) {
	case []byte:
		return classifyRaw(e)
	case json.RawMessage:
		return classifyRaw(e)
	case *http.Request:
		return requestSource(e)
	case events.APIGatewayProxyRequest:
		p.fromAPIGatewayV1(&e)
	case *events.APIGatewayProxyRequest:
		p.fromAPIGatewayV1(e)
	case events.APIGatewayV2HTTPRequest:
		p.fromAPIGatewayV2(&e)
	case *events.APIGatewayV2HTTPRequest:
		p.fromAPIGatewayV2(e)
	case events.LambdaFunctionURLRequest:
		p.fromFunctionURL(&e)
	case *events.LambdaFunctionURLRequest:
		p.fromFunctionURL(e)
	case events.ALBTargetGroupRequest:
		p.fromALB(&e)
	case *events.ALBTargetGroupRequest:
		p.fromALB(e)
	case events.SQSEvent:
		p.fromSQS(e.Records)
	case *events.SQSEvent:
		p.fromSQS(e.Records)
	case events.SNSEvent:
		p.fromSNS(e.Records)
	case *events.SNSEvent:
		p.fromSNS(e.Records)
	case events.EventBridgeEvent:
		p.fromEventBridge(&e)
	case *events.EventBridgeEvent:
		p.fromEventBridge(e)
	case events.KinesisEvent:
		p.fromKinesis(e.Records)
	case *events.KinesisEvent:
		p.fromKinesis(e.Records)
	case events.KinesisTimeWindowEvent:
		p.fromKinesis(e.Records)
	case *events.KinesisTimeWindowEvent:
		p.fromKinesis(e.Records)
	case events.DynamoDBEvent:
		p.fromDynamoDB(e.Records)
	case *events.DynamoDBEvent:
		p.fromDynamoDB(e.Records)
	case events.DynamoDBTimeWindowEvent:
		p.fromDynamoDB(e.Records)
	case *events.DynamoDBTimeWindowEvent:
		p.fromDynamoDB(e.Records)
	case events.S3Event:
		p.fromS3(e.Records)
	case *events.S3Event:
		p.fromS3(e.Records)
	case events.KafkaEvent:
		p.fromKafka(&e)
	case *events.KafkaEvent:
		p.fromKafka(e)
	case events.ActiveMQEvent:
		p.fromActiveMQ(&e)
	case *events.ActiveMQEvent:
		p.fromActiveMQ(e)
	case CarrierEvent:
		s := otherSource
		if c := e.TraceCarrier(); len(c) > 0 {
			s.carrier = c
		}
		return s
	default:
		if !isEventType(event) {
			return otherSource
		}
		b, err := json.Marshal(event)
		if err != nil {
			return otherSource
		}
		return classifyRaw(b)
	}
	return p.source()
}

// isEventType reports whether v is of a type of aws-lambda-go's events
// package (or a pointer to one).
func isEventType(v any) bool {
	t := reflect.TypeOf(v)
	if t == nil {
		return false
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath() == eventsPackage
}

// source is the one classifier: it tells the trigger from the shape of the
// event.
func (p *payload) source() source {
	switch {
	case len(p.Records) > 0:
		return p.recordsSource()
	case len(p.KafkaRecords) > 0 && (p.EventSource == "aws:kafka" || p.EventSource == "SelfManagedKafka"):
		return kafkaSource(p)
	case len(p.Messages) > 0 && p.EventSource == "aws:mq":
		return activeMQSource(p.Messages)
	case len(p.RabbitMessages) > 0 && p.EventSource == "aws:rmq":
		return rabbitMQSource(p.RabbitMessages)
	case p.Version == "2.0" && p.RequestContext.HTTP.Method != "":
		return p.httpV2Source()
	case p.HTTPMethod != "" && (p.Headers != nil || p.MultiValueHeaders != nil || p.RequestContext.ELB != nil):
		return p.httpV1Source()
	case p.Source != "" && p.DetailType != "":
		return eventBridge(p.Source, p.DetailType, p.Time, p.Detail.Carrier)
	case len(p.TraceContext.Carrier) > 0:
		s := otherSource
		s.carrier = p.TraceContext.Carrier
		return s
	}
	return otherSource
}

// recordsSource reads a batch of records, by the service that sent them.
func (p *payload) recordsSource() source {
	switch p.Records[0].EventSource {
	case "aws:sqs":
		return sqsSource(p.Records)
	case "aws:sns":
		return snsSource(p.Records)
	case "aws:kinesis":
		return kinesisSource(p.Records)
	case "aws:dynamodb":
		return dynamoDBSource(p.Records)
	case "aws:s3":
		return s3Source(p.Records)
	}
	return otherSource
}

// eventBridge is the source of an EventBridge event whose detail carried c.
// A scheduled rule's event is a timer, at the event's time (faas.time);
// faas.cron is not in the event, only the rule's ARN.
func eventBridge(src, detailType, at string, c Carrier) source {
	if isScheduled(src, detailType) {
		s := timerSource
		if t, err := time.Parse(time.RFC3339Nano, at); err == nil {
			s.attrs.add(semconv.FaaSTime(t.UTC().Format(time.RFC3339Nano)))
		}
		return s
	}
	s := source{trigger: semconv.FaaSTriggerPubSub, kind: trace.SpanKindConsumer}
	if len(c) > 0 {
		s.carrier = c
	}
	return s
}

// isScheduled reports an EventBridge scheduled rule's event.
func isScheduled(src, detailType string) bool {
	return src == "aws.events" && detailType == "Scheduled Event"
}

// isNilPointer reports whether v is a typed nil pointer.
func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}
