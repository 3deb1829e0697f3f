package tracing

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"go.opentelemetry.io/otel/propagation"
)

// CarrierField is the JSON name under which a payload carries trace context
// when its transport has no headers or attributes of its own: the payload of
// a direct invocation, the detail of an EventBridge event. Embed
// [TraceContext] in the payload type to get it.
const CarrierField = "traceContext"

// Carrier holds trace context as text: the keys and values that the
// propagator writes (traceparent, tracestate, baggage, X-Amzn-Trace-Id). It
// implements propagation.TextMapCarrier. A nil Carrier is empty and ignores
// Set.
type Carrier map[string]string

var _ propagation.TextMapCarrier = Carrier(nil)

// Get returns the value of key, or "".
func (c Carrier) Get(key string) string { return c[key] }

// Set stores value under key. It does nothing on a nil Carrier.
func (c Carrier) Set(key, value string) {
	if c != nil {
		c[key] = value
	}
}

// Keys returns the keys in c, sorted.
func (c Carrier) Keys() []string { return slices.Sorted(maps.Keys(c)) }

// NewCarrier returns the trace context of ctx (its span and baggage) as a
// Carrier, written by the configured propagator, or nil when ctx carries
// none. To send a message, StartSend is better: it gives the message a
// PRODUCER span of its own, as the messaging conventions ask, and returns
// that span's Carrier. Use the Carrier to continue the trace in the next
// function:
//
//   - SQS and SNS: copy each entry into the message's MessageAttributes as a
//     String attribute (DataType "String"); the next function, triggered by
//     the queue or topic, reads them back. With the default propagator that
//     is at most four of the ten attributes SQS allows a message.
//   - EventBridge: put the Carrier in the event's detail under CarrierField
//     (embed TraceContext in the detail type).
//   - A direct invocation: put it in the payload under CarrierField, or in
//     the client context's custom map.
func NewCarrier(ctx context.Context, opts ...Option) Carrier {
	c := Carrier{}
	newConfig(opts).propagator.Inject(ctx, c)
	if len(c) == 0 {
		return nil
	}
	return c
}

// TraceContext is embedded in a payload type (a direct invocation's event, an
// EventBridge detail) so that the payload carries trace context under
// CarrierField. The guard reads it from typed events through TraceCarrier, and
// from raw payloads (WrapHandler) by the field's name.
//
//	type Order struct {
//		tracing.TraceContext
//		ID string `json:"id"`
//	}
//	order := Order{TraceContext: tracing.TraceContext{Carrier: tracing.NewCarrier(ctx)}, ID: "42"}
type TraceContext struct {
	Carrier Carrier `json:"traceContext,omitempty"`
}

// TraceCarrier returns the embedded carrier.
func (t TraceContext) TraceCarrier() Carrier { return t.Carrier }

// CarrierEvent is an event that carries the trace context of its producer.
// TraceContext implements it, and so does every type that embeds it.
type CarrierEvent interface {
	TraceCarrier() Carrier
}

// xrayHeader is the key under which the X-Ray propagator reads and writes.
const xrayHeader = "X-Amzn-Trace-Id"

// xrayHeaderLower is xrayHeader as API Gateway HTTP APIs and function URLs
// deliver it.
const xrayHeaderLower = "x-amzn-trace-id"

// headerCarrier reads HTTP headers as API Gateway and ALB deliver them: keys
// in any case (API Gateway v1 and ALB keep the client's, v2 lower-cases
// them), sometimes only in the multi-value form. It is read-only.
type headerCarrier struct {
	single map[string]string
	multi  map[string][]string
}

func (h headerCarrier) Get(key string) string {
	lower := key
	if key == xrayHeader { // asked for on every invocation: no allocation
		lower = xrayHeaderLower
	} else {
		lower = strings.ToLower(key)
	}
	return h.get(key, lower)
}

// get is Get with the key's lower-case form given, for keys known in
// advance: no allocation when the event has either form.
func (h headerCarrier) get(key, lower string) string {
	if v, ok := h.single[key]; ok {
		return v
	}
	if v, ok := h.multi[key]; ok && len(v) > 0 {
		return v[0]
	}
	if v, ok := h.single[lower]; ok {
		return v
	}
	if v, ok := h.multi[lower]; ok && len(v) > 0 {
		return v[0]
	}
	for k, v := range h.single {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	for k, v := range h.multi {
		if strings.EqualFold(k, key) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func (headerCarrier) Set(string, string) {}

func (h headerCarrier) Keys() []string {
	keys := slices.Collect(maps.Keys(h.single))
	for k := range h.multi {
		if _, ok := h.single[k]; !ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// sqsCarrier reads an SQS message's String message attributes and, for a
// notification that SNS delivered without raw message delivery, the SNS
// message attributes inside its body. The AWSTraceHeader system attribute is
// not read here: it is a context of its own (record.traceHeader).
type sqsCarrier struct {
	attrs    map[string]events.SQSMessageAttribute
	envelope snsRawAttr
}

func (s sqsCarrier) Get(key string) string {
	if a, ok := s.attrs[key]; ok && a.StringValue != nil && isStringType(a.DataType) {
		return *a.StringValue
	}
	return s.envelope.Get(key)
}

func (sqsCarrier) Set(string, string) {}

func (s sqsCarrier) Keys() []string {
	keys := make([]string, 0, len(s.attrs)+len(s.envelope))
	for k, a := range s.attrs {
		if a.StringValue != nil && isStringType(a.DataType) {
			keys = append(keys, k)
		}
	}
	for k := range s.envelope {
		if _, ok := s.attrs[k]; !ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// isStringType reports whether an SQS or SNS attribute's data type is String
// or a custom String type ("String.traceparent"); "Number" and "Binary" never
// carry trace context.
func isStringType(t string) bool {
	return t == "String" || strings.HasPrefix(t, "String.") && t != "String.Array"
}

// snsAttr is an SNS message attribute as an SNS event, or an SNS
// notification in an SQS body, delivers it: {"Type": "String", "Value": "..."}.
type snsAttr struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// snsRawAttr reads an SNS notification's message attributes.
type snsRawAttr map[string]snsAttr

func (s snsRawAttr) Get(key string) string {
	if a, ok := s[key]; ok && isStringType(a.Type) {
		return a.Value
	}
	return ""
}

func (snsRawAttr) Set(string, string) {}

func (s snsRawAttr) Keys() []string { return slices.Collect(maps.Keys(s)) }

// snsEnvelope reads the message attributes of an SNS notification that is
// the body of an SQS message (a subscription without raw message delivery).
// A body that is not such a notification gives false; so does one that has
// no message attributes.
func snsEnvelope(body string) (snsRawAttr, bool) {
	b := strings.TrimLeft(body, " \t\r\n")
	if !strings.HasPrefix(b, "{") || !strings.Contains(b, `"TopicArn"`) || !strings.Contains(b, `"MessageAttributes"`) {
		return nil, false
	}
	var n struct {
		Type              string     `json:"Type"`
		TopicArn          string     `json:"TopicArn"`
		MessageAttributes snsRawAttr `json:"MessageAttributes"`
	}
	if err := json.Unmarshal([]byte(b), &n); err != nil || n.Type != "Notification" || n.TopicArn == "" || len(n.MessageAttributes) == 0 {
		return nil, false
	}
	return n.MessageAttributes, true
}

// kafkaHeaders reads a Kafka record's headers: a list of one-entry maps,
// each value the header's bytes. A key may repeat; the first wins, and a key
// is looked up exactly, then without regard to case.
type kafkaHeaders []map[string]events.JSONNumberBytes

func (h kafkaHeaders) Get(key string) string {
	for _, m := range h {
		if v, ok := m[key]; ok {
			return string(v)
		}
	}
	for _, m := range h {
		for k, v := range m {
			if strings.EqualFold(k, key) {
				return string(v)
			}
		}
	}
	return ""
}

func (kafkaHeaders) Set(string, string) {}

func (h kafkaHeaders) Keys() []string {
	var keys []string
	for _, m := range h {
		for k := range m {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// rabbitHeaders reads a RabbitMQ message's headers as Lambda delivers them:
// a string header as {"bytes": [...]}, or as a plain JSON string; numbers
// and other values carry no trace context.
type rabbitHeaders map[string]json.RawMessage

func (h rabbitHeaders) Get(key string) string {
	raw, ok := h[key]
	if !ok {
		return ""
	}
	return rabbitString(raw)
}

// rabbitString decodes one RabbitMQ header value, or gives "".
func rabbitString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var b struct {
		Bytes events.JSONNumberBytes `json:"bytes"`
	}
	if json.Unmarshal(raw, &b) == nil {
		return string(b.Bytes)
	}
	return ""
}

func (rabbitHeaders) Set(string, string) {}

func (h rabbitHeaders) Keys() []string { return slices.Collect(maps.Keys(h)) }

// xrayCarrier holds one X-Ray header, as a transport's own attribute
// (SQS's AWSTraceHeader) gives it: a carrier without a map to make.
type xrayCarrier string

func (x xrayCarrier) Get(key string) string {
	if strings.EqualFold(key, xrayHeader) {
		return string(x)
	}
	return ""
}

func (xrayCarrier) Set(string, string) {}

func (x xrayCarrier) Keys() []string {
	if x == "" {
		return nil
	}
	return []string{xrayHeader}
}
