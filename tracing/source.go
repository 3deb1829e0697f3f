package tracing

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// source is what the event tells about the invocation: the trigger, the span
// kind, where the caller put its trace context.
type source struct {
	trigger attribute.KeyValue
	kind    trace.SpanKind
	name    string // span name; empty: the function name
	attrs   attrList
	carrier propagation.TextMapCarrier // the caller's context; nil: none
	records []record                   // a batch: one producer context each
	http    bool                       // the result may carry a status code
}

// attrList is the few attributes a trigger adds to the span, held in the
// source itself rather than in a slice of their own: five at most today (a
// batch of one message: system, operation type and name, destination,
// message id; of several: the count instead of the id), room for six.
type attrList struct {
	kv [6]attribute.KeyValue
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

func (l *attrList) all() []attribute.KeyValue { return l.kv[:l.n] }

// record is one message of a batch.
type record struct {
	id      string
	carrier propagation.TextMapCarrier
}

var (
	otherSource = source{trigger: semconv.FaaSTriggerOther, kind: trace.SpanKindServer}
	timerSource = source{trigger: semconv.FaaSTriggerTimer, kind: trace.SpanKindServer}
)

// classify reads the event the guard handed to the middleware.
func classify(event any) source {
	if isNilPointer(event) {
		// aws-lambda-go decodes the payload null into a nil *T: the handler
		// may cope with it; the span must not be the thing that panics.
		return otherSource
	}
	switch e := event.(type) {
	case []byte:
		return classifyRaw(e)
	case json.RawMessage:
		return classifyRaw(e)
	case *http.Request:
		return httpSource(e.Method, "", e.URL.Path, headerCarrier{multi: e.Header})
	case events.APIGatewayProxyRequest:
		return apiGatewayV1(&e)
	case *events.APIGatewayProxyRequest:
		return apiGatewayV1(e)
	case events.APIGatewayV2HTTPRequest:
		return apiGatewayV2(&e)
	case *events.APIGatewayV2HTTPRequest:
		return apiGatewayV2(e)
	case events.LambdaFunctionURLRequest:
		return httpSource(e.RequestContext.HTTP.Method, "", e.RawPath, headerCarrier{single: e.Headers})
	case *events.LambdaFunctionURLRequest:
		return httpSource(e.RequestContext.HTTP.Method, "", e.RawPath, headerCarrier{single: e.Headers})
	case events.ALBTargetGroupRequest:
		return httpSource(e.HTTPMethod, "", e.Path, headerCarrier{single: e.Headers, multi: e.MultiValueHeaders})
	case *events.ALBTargetGroupRequest:
		return httpSource(e.HTTPMethod, "", e.Path, headerCarrier{single: e.Headers, multi: e.MultiValueHeaders})
	case events.SQSEvent:
		return sqsSource(e.Records)
	case *events.SQSEvent:
		return sqsSource(e.Records)
	case events.SNSEvent:
		return snsSource(e.Records)
	case *events.SNSEvent:
		return snsSource(e.Records)
	case events.EventBridgeEvent:
		return eventBridgeSource(e.Source, e.DetailType, e.Detail)
	case *events.EventBridgeEvent:
		return eventBridgeSource(e.Source, e.DetailType, e.Detail)
	case events.KinesisEvent, *events.KinesisEvent:
		return source{trigger: semconv.FaaSTriggerPubSub, kind: trace.SpanKindConsumer}
	case events.DynamoDBEvent, *events.DynamoDBEvent, events.S3Event, *events.S3Event:
		return source{trigger: semconv.FaaSTriggerDatasource, kind: trace.SpanKindServer}
	case CarrierEvent:
		s := otherSource
		if c := e.TraceCarrier(); len(c) > 0 {
			s.carrier = c
		}
		return s
	}
	return otherSource
}

func apiGatewayV1(e *events.APIGatewayProxyRequest) source {
	return httpSource(e.HTTPMethod, e.Resource, e.Path, headerCarrier{single: e.Headers, multi: e.MultiValueHeaders})
}

func apiGatewayV2(e *events.APIGatewayV2HTTPRequest) source {
	return httpSource(e.RequestContext.HTTP.Method, routeOf(e.RouteKey), e.RawPath, headerCarrier{single: e.Headers})
}

// routeOf returns the path template of an HTTP API route key ("GET /pets/{id}").
func routeOf(routeKey string) string {
	if _, route, ok := strings.Cut(routeKey, " "); ok {
		return route
	}
	return "" // "$default"
}

func httpSource(method, route, path string, h headerCarrier) source {
	s := source{trigger: semconv.FaaSTriggerHTTP, kind: trace.SpanKindServer, http: true, carrier: h}
	if method != "" {
		s.attrs.add(semconv.HTTPRequestMethodKey.String(method))
	}
	if route != "" {
		s.attrs.add(semconv.HTTPRoute(route))
	}
	if path != "" {
		s.attrs.add(semconv.URLPath(path))
	}
	return s
}

func sqsSource(recs []events.SQSMessage) source {
	s := messagingSource(semconv.MessagingSystemAWSSQS, len(recs))
	for i := range recs {
		r := &recs[i]
		s.records = append(s.records, record{id: r.MessageId, carrier: sqsCarrier{attrs: r.MessageAttributes, traceHeader: r.Attributes["AWSTraceHeader"]}})
		if i == 0 {
			s.setDestination(r.EventSourceARN)
		}
	}
	return s.withMessageID()
}

func snsSource(recs []events.SNSEventRecord) source {
	s := messagingSource(semconv.MessagingSystemAWSSNS, len(recs))
	for i := range recs {
		r := &recs[i].SNS
		s.records = append(s.records, record{id: r.MessageID, carrier: snsCarrier(r.MessageAttributes)})
		if i == 0 {
			s.setDestination(r.TopicArn)
		}
	}
	return s.withMessageID()
}

// messagingSource follows the messaging conventions for a batch that the
// function processes: a CONSUMER span of operation "process", linked to the
// context of every message's producer.
func messagingSource(system attribute.KeyValue, n int) source {
	s := source{
		trigger: semconv.FaaSTriggerPubSub,
		kind:    trace.SpanKindConsumer,
		name:    "process",
		records: make([]record, 0, n),
	}
	s.attrs.add(system)
	s.attrs.add(semconv.MessagingOperationTypeProcess)
	s.attrs.add(semconv.MessagingOperationName("process"))
	if n != 1 {
		s.attrs.add(semconv.MessagingBatchMessageCount(n))
	}
	return s
}

// withMessageID names the message of a batch of one.
func (s source) withMessageID() source {
	if len(s.records) == 1 && s.records[0].id != "" {
		s.attrs.add(semconv.MessagingMessageID(s.records[0].id))
	}
	return s
}

// setDestination names the queue or topic from its ARN.
func (s *source) setDestination(arn string) {
	if i := strings.LastIndexByte(arn, ':'); i >= 0 && i+1 < len(arn) {
		name := arn[i+1:]
		s.name = "process " + name
		s.attrs.add(semconv.MessagingDestinationName(name))
	}
}

// eventBridgeSource reads an EventBridge event: a scheduled rule is a timer;
// another event carries its producer's context in its detail, under
// CarrierField.
func eventBridgeSource(src, detailType string, detail json.RawMessage) source {
	var d TraceContext
	if !isScheduled(src, detailType) && bytes.Contains(detail, []byte(CarrierField)) {
		_ = json.Unmarshal(detail, &d)
	}
	return eventBridge(src, detailType, d.Carrier)
}

// eventBridge is the source of an EventBridge event whose detail carried c.
func eventBridge(src, detailType string, c Carrier) source {
	if isScheduled(src, detailType) {
		return timerSource
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
