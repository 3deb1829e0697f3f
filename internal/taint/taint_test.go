package taint

import (
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
)

func values(ts []T) map[string]string {
	m := map[string]string{}
	for _, t := range ts {
		m[t.Value] = t.From
	}
	return m
}

func TestOf(t *testing.T) {
	typed := Of(events.APIGatewayV2HTTPRequest{
		RawPath:               "/hello",
		QueryStringParameters: map[string]string{"message": "hoge", "x": "no"},
	}, "req-1234")
	m := values(typed)
	assert.Equal(t, "QueryStringParameters[\"message\"]", m["hoge"])
	assert.Equal(t, "request id", m["req-1234"])
	assert.Equal(t, "RawPath", m["/hello"])
	assert.NotContains(t, m, "no", "too short to prove anything")

	raw := values(Of([]byte(`{"a":{"b":["first-value", 12345678901234567890]},"c":"second"}`), ""))
	assert.Equal(t, "a.b[0]", raw["first-value"])
	assert.Equal(t, "c", raw["second"])
	assert.NotContains(t, raw, "12345678901234567890", "numbers are not strings")

	req := httptest.NewRequest("GET", "/items/abc?token=sekrit", nil)
	req.Header.Set("Authorization", "Bearer xyz")
	h := values(Of(req, ""))
	assert.Equal(t, "query.token", h["sekrit"])
	assert.Equal(t, "header.Authorization", h["Bearer xyz"])

	assert.Empty(t, Of([]byte("not json"), ""))
}

func TestFind(t *testing.T) {
	ts := Of([]byte(`{"m":"hoge","n":"hogehoge"}`), "")
	got, ok := Find("warmstart, message=hogehoge", ts)
	assert.True(t, ok)
	assert.Equal(t, "hogehoge", got.Value, "the longest match is named")
	_, ok = Find("nothing here", ts)
	assert.False(t, ok)
}

func FuzzOf(f *testing.F) {
	f.Add([]byte(`{"queryStringParameters":{"message":"hoge"}}`))
	f.Add([]byte(`[[[["deep"]]]]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts := Of(b, "id")
		for _, x := range ts {
			if len(x.Value) < MinLen {
				t.Fatalf("short value tracked: %q", x.Value)
			}
		}
	})
}
