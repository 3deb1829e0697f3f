package taint

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFindCrosstalk(t *testing.T) {
	alice := NewRequest(1, []byte(`{"message":"alice-secret"}`), "req-1")
	bob := NewRequest(2, []byte(`{"message":"bob-secret"}`), "req-2")
	type greeting struct{ Name string }
	carol := NewRequest(3, greeting{Name: "carol-secret"}, "req-3")
	echo := NewRequest(4, greeting{Name: "alice-secret"}, "req-4")
	message := []Step{{Key: true, Text: "message"}}

	tests := []struct {
		name     string
		response string
		own      Request
		others   []Request
		want     []Crosstalk
	}{
		{name: "clean", response: `"hello bob-secret"`, own: bob, others: []Request{alice}},
		{
			name: "a previous caller's value", response: `"warmstart, message=alice-secret"`, own: bob, others: []Request{alice},
			want: []Crosstalk{{From: 1, T: T{From: message, Value: "alice-secret"}}},
		},
		{
			name: "a previous caller's request id", response: `"served req-1"`, own: carol, others: []Request{alice, bob},
			want: []Crosstalk{{From: 1, T: T{From: []Step{{Text: "request id"}}, Value: "req-1"}}},
		},
		{
			name: "one per request", response: `"alice-secret, bob-secret"`, own: carol, others: []Request{alice, bob},
			want: []Crosstalk{
				{From: 1, T: T{From: message, Value: "alice-secret"}},
				{From: 2, T: T{From: message, Value: "bob-secret"}},
			},
		},
		{name: "its own value too", response: `"hello alice-secret"`, own: echo, others: []Request{alice}},
		{name: "a typed event's text", response: `{"Name":"carol-secret"}`, own: carol, others: []Request{NewRequest(9, []byte(`"carol-secret"`), "")}},
		{name: "a key is not evidence", response: `"the message"`, own: carol, others: []Request{NewRequest(9, []byte(`{"the message":"x"}`), "")}},
		{name: "no others", response: `"alice-secret"`, own: bob},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, FindCrosstalk([]byte(tt.response), tt.own, tt.others))
		})
	}
}

// The bug this package was rewritten for, end to end: caller 3 is served
// caller 2's job, a URL from the JSON body of an API Gateway request, in
// the JSON body of an API Gateway response, where json.Marshal wrote its &
// as \u0026.
func TestFindCrosstalkInBodies(t *testing.T) {
	job := func(n int, url string) Request {
		body, err := json.Marshal(map[string]any{"job": map[string]string{"url": url}})
		require.NoError(t, err)
		return NewRequest(n, events.APIGatewayV2HTTPRequest{Body: string(body)}, "")
	}
	second := job(2, "https://example.com/report/42?sig=abc&exp=9")
	third := job(3, "https://example.com/report/43?sig=def&exp=9")
	resp := func(url string) []byte {
		body, err := json.Marshal(map[string]string{"job": url})
		require.NoError(t, err)
		b, err := json.Marshal(events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: string(body)})
		require.NoError(t, err)
		return b
	}
	require.NotContains(t, string(resp("a&b")), "a&b", "the escape this test is about")

	found := FindCrosstalk(resp("https://example.com/report/42?sig=abc&exp=9"), third, []Request{second})
	require.Len(t, found, 1)
	assert.Equal(t, 2, found[0].From)
	assert.Equal(t, "https://example.com/report/42?sig=abc&exp=9", found[0].T.Value)
	assert.Equal(t, `carries request data of invocation 2 (.Body.(json)[key(len=3)][key(len=3)], string(len=43)): a warm start served a previous caller's value`,
		found[0].Detail())

	assert.Empty(t, FindCrosstalk(resp("https://example.com/report/43?sig=def&exp=9"), third, []Request{second}), "its own job")

	// The own request's text includes its decoded body: a base64 body the
	// response echoes decoded is its own.
	b64 := NewRequest(3, events.APIGatewayV2HTTPRequest{
		Body: base64.StdEncoding.EncodeToString([]byte(`{"note":"shared-note"}`)), IsBase64Encoded: true,
	}, "")
	other := NewRequest(1, []byte(`{"note":"shared-note"}`), "")
	assert.Empty(t, FindCrosstalk([]byte(`{"note":"shared-note"}`), b64, []Request{other}))
}

func TestCrosstalkDetailIsRedacted(t *testing.T) {
	c := Crosstalk{From: 2, T: T{
		From:  []Step{{Text: "QueryStringParameters"}, {Key: true, Text: "alice@example.com"}},
		Value: "hoge-secret",
	}}
	assert.Equal(t, "carries request data of invocation 2 (.QueryStringParameters[key(len=17)], string(len=11)): a warm start served a previous caller's value", c.Detail())
	assert.NotContains(t, c.Detail(), "alice")

	root := Crosstalk{From: 1, T: T{Value: "carol"}}
	assert.Equal(t, "carries request data of invocation 1 (the event, string(len=5)): a warm start served a previous caller's value", root.Detail())
}
