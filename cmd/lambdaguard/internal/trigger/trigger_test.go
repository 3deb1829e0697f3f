package trigger

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeStrict decodes doc into the type of trigger name, refusing unknown fields, and
// checks that encoding it again gives the same document.
func decodeStrict(t *testing.T, doc []byte, name string) any {
	t.Helper()
	ptr := Type(name)
	require.NotNil(t, ptr)
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(ptr), "%s", doc)
	again, err := json.Marshal(ptr)
	require.NoError(t, err)
	assert.JSONEq(t, string(doc), string(again))
	return reflect.ValueOf(ptr).Elem().Interface()
}

func TestTypes(t *testing.T) {
	want := map[string]any{
		"apigw-v1":     &events.APIGatewayProxyRequest{},
		"apigw-v2":     &events.APIGatewayV2HTTPRequest{},
		"alb":          &events.ALBTargetGroupRequest{},
		"function-url": &events.LambdaFunctionURLRequest{},
		"sqs":          &events.SQSEvent{},
		"sns":          &events.SNSEvent{},
		"eventbridge":  &events.EventBridgeEvent{},
		"s3":           &events.S3Event{},
		"dynamodb":     &events.DynamoDBEvent{},
		"kinesis":      &events.KinesisEvent{},
		"schedule":     &events.EventBridgeEvent{},
	}
	require.Len(t, Names(), len(want))
	for _, n := range Names() {
		assert.IsType(t, want[n], Type(n), n)
		assert.Contains(t, Doc(n), ": events.", "the doc names the type")
	}
	assert.Nil(t, Type("kafka"))
}

func TestBuildDecodes(t *testing.T) {
	now := time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			docs, err := Build(name, Options{Now: now, Region: "eu-west-3"})
			require.NoError(t, err)
			require.Len(t, docs, 1)
			decodeStrict(t, docs[0], name)
			assert.Contains(t, string(docs[0]), "eu-west-3", "the region is used")
		})
	}
}

func TestBuildOptions(t *testing.T) {
	o := Options{Body: `{"a":1}`, Path: "/orders/7?x=1", Messages: []string{"hoge", "fuga"}}
	t.Run("http events, one per message", func(t *testing.T) {
		docs, err := Build("apigw-v2", o)
		require.NoError(t, err)
		require.Len(t, docs, 2)
		ev := decodeStrict(t, docs[1], "apigw-v2").(events.APIGatewayV2HTTPRequest)
		assert.Equal(t, "/orders/7", ev.RawPath)
		assert.Equal(t, "message=fuga&x=1", ev.RawQueryString)
		assert.Equal(t, map[string]string{"message": "fuga", "x": "1"}, ev.QueryStringParameters)
		assert.Equal(t, "POST", ev.RequestContext.HTTP.Method, "a body makes it a POST")
		assert.Equal(t, `{"a":1}`, ev.Body)
	})
	t.Run("method", func(t *testing.T) {
		docs, err := Build("alb", Options{Method: "put"})
		require.NoError(t, err)
		ev := decodeStrict(t, docs[0], "alb").(events.ALBTargetGroupRequest)
		assert.Equal(t, "PUT", ev.HTTPMethod)
		assert.Equal(t, "/hello", ev.Path)
		assert.Nil(t, ev.QueryStringParameters)
	})
	t.Run("v1 path and query", func(t *testing.T) {
		docs, err := Build("apigw-v1", o)
		require.NoError(t, err)
		ev := decodeStrict(t, docs[0], "apigw-v1").(events.APIGatewayProxyRequest)
		assert.Equal(t, "/orders/7", ev.Path)
		assert.Equal(t, []string{"hoge"}, ev.MultiValueQueryStringParameters["message"])
		assert.Equal(t, "orders/7", ev.PathParameters["proxy"])
	})
	t.Run("batch: a record per message, count fills in turn", func(t *testing.T) {
		docs, err := Build("sqs", Options{Messages: []string{"hoge", "fuga"}, Count: 3})
		require.NoError(t, err)
		require.Len(t, docs, 1)
		ev := decodeStrict(t, docs[0], "sqs").(events.SQSEvent)
		var bodies []string
		for _, r := range ev.Records {
			bodies = append(bodies, r.Body)
		}
		assert.Equal(t, []string{"hoge", "fuga", "hoge"}, bodies)
		assert.NotEqual(t, ev.Records[0].MessageId, ev.Records[2].MessageId)
	})
	t.Run("kinesis data is the message", func(t *testing.T) {
		docs, err := Build("kinesis", Options{Count: 2})
		require.NoError(t, err)
		ev := decodeStrict(t, docs[0], "kinesis").(events.KinesisEvent)
		require.Len(t, ev.Records, 2)
		assert.Equal(t, "message 2", string(ev.Records[1].Kinesis.Data))
	})
	t.Run("dynamodb image", func(t *testing.T) {
		docs, err := Build("dynamodb", Options{Messages: []string{"hoge"}})
		require.NoError(t, err)
		ev := decodeStrict(t, docs[0], "dynamodb").(events.DynamoDBEvent)
		require.Len(t, ev.Records, 1)
		assert.Equal(t, "hoge", ev.Records[0].Change.NewImage["message"].String())
		assert.Equal(t, "INSERT", ev.Records[0].EventName)
	})
	t.Run("non-batch count: that many events", func(t *testing.T) {
		docs, err := Build("sns", Options{Count: 3})
		require.NoError(t, err)
		require.Len(t, docs, 3)
		ev := decodeStrict(t, docs[2], "sns").(events.SNSEvent)
		assert.Equal(t, "message 3", ev.Records[0].SNS.Message)
	})
	t.Run("s3 key from the path, encoded as S3 does", func(t *testing.T) {
		docs, err := Build("s3", Options{Path: "/in box/a+b.txt"})
		require.NoError(t, err)
		ev := decodeStrict(t, docs[0], "s3").(events.S3Event)
		assert.Equal(t, "in+box/a%2Bb.txt", ev.Records[0].S3.Object.Key)
	})
	t.Run("eventbridge detail and schedule", func(t *testing.T) {
		docs, err := Build("eventbridge", Options{Messages: []string{"hoge"}})
		require.NoError(t, err)
		ev := decodeStrict(t, docs[0], "eventbridge").(events.EventBridgeEvent)
		assert.JSONEq(t, `{"message":"hoge"}`, string(ev.Detail))
		docs, err = Build("schedule", Options{})
		require.NoError(t, err)
		ev = decodeStrict(t, docs[0], "schedule").(events.EventBridgeEvent)
		assert.Equal(t, "Scheduled Event", ev.DetailType)
		assert.Equal(t, "aws.events", ev.Source)
	})
}

func TestBuildErrors(t *testing.T) {
	_, err := Build("kafka", Options{})
	assert.EqualError(t, err, `trigger: no trigger "kafka" (have alb, apigw-v1, apigw-v2, dynamodb, eventbridge, function-url, kinesis, s3, schedule, sns, sqs)`)
	_, err = Build("sqs", Options{Count: -1})
	assert.ErrorContains(t, err, "trigger: the count must not be negative")
}
