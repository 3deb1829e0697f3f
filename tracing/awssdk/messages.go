package awssdk

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/lambdaguard/lambdaguard/tracing"
)

// xrayKey is the key the X-Ray propagator writes under.
const xrayKey = "X-Amzn-Trace-Id"

// messages is what a message-sending call sends: where, how many, and how
// to put trace context into a copy of its input.
type messages struct {
	system, destination string
	count               int
	inject              func(tracing.Carrier) any
}

// messagesOf reads a call's input; false for a call that sends no message.
func messagesOf(params any) (messages, bool) {
	switch in := params.(type) {
	case *sqs.SendMessageInput:
		return messages{tracing.SystemSQS, queueName(in.QueueUrl), 1, func(c tracing.Carrier) any {
			cp := *in
			cp.MessageAttributes, cp.MessageSystemAttributes = sqsAttributes(in.MessageAttributes, in.MessageSystemAttributes, c)
			return &cp
		}}, true
	case *sqs.SendMessageBatchInput:
		return messages{tracing.SystemSQS, queueName(in.QueueUrl), len(in.Entries), func(c tracing.Carrier) any {
			cp := *in
			cp.Entries = slices.Clone(in.Entries)
			for i := range cp.Entries {
				e := &cp.Entries[i]
				e.MessageAttributes, e.MessageSystemAttributes = sqsAttributes(e.MessageAttributes, e.MessageSystemAttributes, c)
			}
			return &cp
		}}, true
	case *sns.PublishInput:
		return messages{tracing.SystemSNS, topicName(in.TopicArn, in.TargetArn), 1, func(c tracing.Carrier) any {
			cp := *in
			cp.MessageAttributes = snsAttributes(in.MessageAttributes, c)
			return &cp
		}}, true
	case *sns.PublishBatchInput:
		return messages{tracing.SystemSNS, topicName(in.TopicArn, nil), len(in.PublishBatchRequestEntries), func(c tracing.Carrier) any {
			cp := *in
			cp.PublishBatchRequestEntries = slices.Clone(in.PublishBatchRequestEntries)
			for i := range cp.PublishBatchRequestEntries {
				e := &cp.PublishBatchRequestEntries[i]
				e.MessageAttributes = snsAttributes(e.MessageAttributes, c)
			}
			return &cp
		}}, true
	case *eventbridge.PutEventsInput:
		bus := "default"
		if len(in.Entries) > 0 && in.Entries[0].EventBusName != nil {
			bus = lastField(*in.Entries[0].EventBusName, '/')
		}
		return messages{tracing.SystemEventBridge, bus, len(in.Entries), func(c tracing.Carrier) any {
			cp := *in
			cp.Entries = slices.Clone(in.Entries)
			for i := range cp.Entries {
				eventBridgeEntry(&cp.Entries[i], c)
			}
			return &cp
		}}, true
	}
	return messages{}, false
}

// messageID returns the id of the one message a call sent, or "".
func messageID(result any) string {
	switch out := result.(type) {
	case *sqs.SendMessageOutput:
		return aws.ToString(out.MessageId)
	case *sns.PublishOutput:
		return aws.ToString(out.MessageId)
	}
	return ""
}

// order is the order in which a carrier's keys take the attributes left:
// the W3C trace context first, X-Ray last (SQS carries it apart).
func order(c tracing.Carrier) []string {
	rank := func(k string) int {
		switch k {
		case "traceparent":
			return 0
		case "tracestate":
			return 1
		case xrayKey:
			return 3
		}
		return 2
	}
	keys := slices.Collect(maps.Keys(c))
	slices.SortFunc(keys, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return keys
}

// sqsAttributes returns copies of a message's attributes with the carrier
// added: the X-Ray header as the AWSTraceHeader system attribute, the rest
// as String message attributes while there is room.
func sqsAttributes(attrs map[string]sqstypes.MessageAttributeValue, sys map[string]sqstypes.MessageSystemAttributeValue, c tracing.Carrier) (map[string]sqstypes.MessageAttributeValue, map[string]sqstypes.MessageSystemAttributeValue) {
	attrs = maps.Clone(attrs)
	if attrs == nil {
		attrs = map[string]sqstypes.MessageAttributeValue{}
	}
	for _, k := range order(c) {
		v := c[k]
		if k == xrayKey {
			if _, set := sys["AWSTraceHeader"]; !set {
				sys = maps.Clone(sys)
				if sys == nil {
					sys = map[string]sqstypes.MessageSystemAttributeValue{}
				}
				sys["AWSTraceHeader"] = sqstypes.MessageSystemAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
			}
			continue
		}
		if _, set := attrs[k]; set || len(attrs) >= maxAttributes {
			continue
		}
		attrs[k] = sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	if len(attrs) == 0 {
		attrs = nil
	}
	return attrs, sys
}

// snsAttributes returns a copy of a notification's attributes with the
// carrier added as String attributes while there is room.
func snsAttributes(attrs map[string]snstypes.MessageAttributeValue, c tracing.Carrier) map[string]snstypes.MessageAttributeValue {
	attrs = maps.Clone(attrs)
	if attrs == nil {
		attrs = map[string]snstypes.MessageAttributeValue{}
	}
	for _, k := range order(c) {
		if _, set := attrs[k]; set || len(attrs) >= maxAttributes {
			continue
		}
		attrs[k] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(c[k])}
	}
	if len(attrs) == 0 {
		attrs = nil
	}
	return attrs
}

// eventBridgeEntry puts the carrier into an entry's detail under
// tracing.CarrierField, when the detail is a JSON object without one, and
// the X-Ray header into its TraceHeader, when it has none.
func eventBridgeEntry(e *ebtypes.PutEventsRequestEntry, c tracing.Carrier) {
	if h, ok := c[xrayKey]; ok && e.TraceHeader == nil {
		e.TraceHeader = aws.String(h)
	}
	detail := "{}"
	if e.Detail != nil {
		detail = *e.Detail
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal([]byte(detail), &fields) != nil || fields == nil {
		return
	}
	if _, set := fields[tracing.CarrierField]; set {
		return
	}
	b, err := json.Marshal(c)
	if err != nil {
		return
	}
	fields[tracing.CarrierField] = b
	out, err := json.Marshal(fields)
	if err != nil {
		return
	}
	e.Detail = aws.String(string(out))
}

// queueName returns the queue's name from its URL
// (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME).
func queueName(url *string) string { return lastField(aws.ToString(url), '/') }

// topicName returns the topic's name from its ARN.
func topicName(topic, target *string) string {
	if topic != nil {
		return lastField(*topic, ':')
	}
	return lastField(aws.ToString(target), ':')
}

// lastField returns what follows the last sep in s, or s.
func lastField(s string, sep byte) string {
	if i := strings.LastIndexByte(s, sep); i >= 0 {
		return s[i+1:]
	}
	return s
}
