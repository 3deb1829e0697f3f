package taint

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// byValue indexes ts by value, checking on the way that Of deduplicated.
func byValue(t *testing.T, ts []T) map[string]T {
	t.Helper()
	m := map[string]T{}
	for _, x := range ts {
		_, dup := m[x.Value]
		require.False(t, dup, "%q collected twice", x.Value)
		m[x.Value] = x
	}
	return m
}

// where renders a path with its keys shown, for the test to read.
func where(x T) string { return x.Where(strconv.Quote) }

// The bug this package exists for: an API Gateway function kept the last
// job per JWT subject in a package-level map and served caller 2's job, a
// URL in the JSON body, to caller 3. The URL is request data, and so are
// the keys and numbers of the body.
const jobBody = `{"job":{"url":"https://example.com/report/42"},"amounts":{"alice@example.com":12}}`

func TestOfJSONBody(t *testing.T) {
	for _, tt := range []struct {
		name   string
		event  events.APIGatewayV2HTTPRequest
		prefix string
	}{
		{"plain", events.APIGatewayV2HTTPRequest{Body: jobBody}, `.Body.(json)`},
		{"base64", events.APIGatewayV2HTTPRequest{Body: base64.StdEncoding.EncodeToString([]byte(jobBody)), IsBase64Encoded: true}, `.Body.(base64).(json)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := byValue(t, Of(tt.event, "req-1"))
			url := m["https://example.com/report/42"]
			assert.False(t, url.Key)
			assert.Equal(t, tt.prefix+`["job"]["url"]`, where(url))

			alice := m["alice@example.com"]
			assert.True(t, alice.Key, "a key is kept for scrubbing, not as evidence")
			assert.Equal(t, tt.prefix+`["amounts"]["alice@example.com"]`, where(alice))

			twelve := m["12"]
			assert.False(t, twelve.Key, "a number in a body is data")
			assert.Equal(t, tt.prefix+`["amounts"]["alice@example.com"]`, where(twelve))

			assert.Equal(t, []Step{{Text: "request id"}}, m["req-1"].From)

			got, ok := Find(`{"job":{"url":"https://example.com/report/42"}}`, Of(tt.event, "req-1"))
			require.True(t, ok)
			assert.Equal(t, "https://example.com/report/42", got.Value)
			_, ok = Find("alice@example.com", Of(tt.event, "req-1"))
			assert.False(t, ok, "a key is never evidence")

			raw, err := json.Marshal(tt.event)
			require.NoError(t, err)
			assert.Equal(t, evidenceOf(Of(tt.event, "req-1")), evidenceOf(Of(raw, "req-1")), "the raw payload holds the same data")
			rm := byValue(t, Of(raw, ""))
			assert.Equal(t, strings.ReplaceAll(tt.prefix, ".Body", `["body"]`)+`["job"]["url"]`, where(rm["https://example.com/report/42"]))
		})
	}
}

func TestOfSQS(t *testing.T) {
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-1", Body: jobBody}}}
	m := byValue(t, Of(ev, ""))
	assert.Equal(t, `.Records[0].Body.(json)["job"]["url"]`, where(m["https://example.com/report/42"]))
	assert.True(t, m["alice@example.com"].Key)
	assert.Contains(t, m, "12")
}

// An SNS topic delivering to an SQS queue: the SQS body is the SNS
// notification, whose Message is the publisher's JSON.
func TestOfSNSInSQS(t *testing.T) {
	note, err := json.Marshal(events.SNSEntity{
		Type:      "Notification",
		MessageID: "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
		TopicArn:  "arn:aws:sns:us-east-1:123456789012:orders",
		Message:   `{"order":{"card":"4111111111111111","pin":739}}`,
		Timestamp: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
	})
	require.NoError(t, err)
	ev := events.SQSEvent{Records: []events.SQSMessage{{Body: string(note)}}}
	m := byValue(t, Of(ev, ""))
	assert.Equal(t, `.Records[0].Body.(json)["Message"].(json)["order"]["card"]`, where(m["4111111111111111"]))
	assert.Equal(t, `.Records[0].Body.(json)["Message"].(json)["order"]["pin"]`, where(m["739"]))

	raw, err := json.Marshal(ev)
	require.NoError(t, err)
	rm := byValue(t, Of(raw, ""))
	assert.Equal(t, `["Records"][0]["body"].(json)["Message"].(json)["order"]["pin"]`, where(rm["739"]))
	assert.Equal(t, evidenceOf(Of(ev, "")), evidenceOf(Of(raw, "")))
}

// evidenceOf returns the values Find can use, sorted.
func evidenceOf(ts []T) []string {
	var out []string
	for _, x := range ts {
		if evidence(x) {
			out = append(out, x.Value)
		}
	}
	slices.Sort(out)
	return out
}

func TestOfTyped(t *testing.T) {
	type secret struct{ token string }
	type node struct {
		Name string
		Next *node
	}
	type event struct {
		Name     string
		hidden   secret
		Ptr      *string
		Any      any
		Arr      [2]string
		Labels   map[string]string
		ByID     map[int]string
		Amount   int
		Price    float64
		Zero     int
		Text     []byte
		JSON     []byte
		Binary   []byte
		Raw      json.RawMessage
		At       time.Time
		Never    time.Time
		mu       *sync.Mutex
		Loop     *node
		Cmp      map[[2]string]int
		Callback func()
	}
	p := "pointed-to"
	loop := &node{Name: "looping"}
	loop.Next = loop
	ev := event{
		Name:   "alice",
		hidden: secret{token: "unexported-token"},
		Ptr:    &p,
		Any:    []any{map[string]any{"inner": "in-an-interface"}},
		Arr:    [2]string{"array-0", "array-1"},
		Labels: map[string]string{"user@example.com": "label-value"},
		ByID:   map[int]string{4242: "by-number"},
		Amount: 739,
		Price:  12.5,
		Text:   []byte("plain bytes"),
		JSON:   []byte(`{"deep":"json-in-bytes"}`),
		Binary: []byte{0, 1, 2, 0xff},
		Raw:    json.RawMessage(`{"detail":"raw-message","n":1234}`),
		At:     time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
		Loop:   loop,
		mu:     new(sync.Mutex),
		Cmp:    map[[2]string]int{{"composite", "key"}: 1},
	}
	m := byValue(t, Of(ev, ""))
	for v, w := range map[string]string{
		"alice":                    `.Name`,
		"unexported-token":         `.hidden.token`,
		"pointed-to":               `.Ptr`,
		"in-an-interface":          `.Any[0]["inner"]`,
		"array-1":                  `.Arr[1]`,
		"label-value":              `.Labels["user@example.com"]`,
		"by-number":                `.ByID["4242"]`,
		"739":                      `.Amount`,
		"12.5":                     `.Price`,
		"plain bytes":              `.Text`,
		"cGxhaW4gYnl0ZXM=":         `.Text`, // as json.Marshal writes it in a response
		"json-in-bytes":            `.JSON.(json)["deep"]`,
		"AAEC/w==":                 `.Binary`,
		"raw-message":              `.Raw["detail"]`,
		"1234":                     `.Raw["n"]`,
		"2025-03-01T12:00:00Z":     `.At`,
		"looping":                  `.Loop.Name`,
		"composite":                `.Cmp["[composite key]"].(key)[0]`,
		"user@example.com":         `.Labels["user@example.com"]`,
		`{"deep":"json-in-bytes"}`: `.JSON`,
	} {
		if assert.Contains(t, m, v) {
			assert.Equal(t, w, where(m[v]), v)
		}
	}
	assert.True(t, m["user@example.com"].Key)
	assert.True(t, m["4242"].Key)
	assert.NotContains(t, m, "0", "zero numbers are fields the event did not have")
	assert.NotContains(t, m, "0001-01-01T00:00:00Z", "nor are zero times")
	for v := range m {
		assert.NotContains(t, v, "\x00", "binary is taken in its base64 form only")
	}
}

func TestOfCycles(t *testing.T) {
	m := map[string]any{"name": "in-a-cycle"}
	m["self"] = m
	s := []any{"slice-value", nil}
	s[1] = s
	type pair struct {
		A, B *string
	}
	shared := "shared-twice"
	ts := Of(map[string]any{"m": m, "s": s, "p": pair{&shared, &shared}}, "")
	got := byValue(t, ts)
	assert.Contains(t, got, "in-a-cycle")
	assert.Contains(t, got, "slice-value")
	assert.Equal(t, `["p"].A`, where(got["shared-twice"]))
}

func TestOfBounds(t *testing.T) {
	// Nesting beyond maxDepth: the walk stops, keeping what it found.
	deep := `"deepest"`
	for range 40 {
		deep = `{"k":` + deep + `}`
	}
	m := byValue(t, Of([]byte(`{"shallow":"near-the-top","d":`+deep+`}`), ""))
	assert.Contains(t, m, "near-the-top")
	assert.NotContains(t, m, "deepest")

	// Nesting by decoding: each JSON-in-a-string is a level too. (Each
	// level doubles the escapes, so the string stays under maxBody.)
	nest := func(n int) string {
		s := "innermost"
		for range n {
			b, _ := json.Marshal(map[string]string{"k": s})
			s = string(b)
		}
		require.Less(t, len(s), maxBody)
		return s
	}
	assert.Contains(t, byValue(t, Of(events.SQSMessage{Body: nest(8)}, "")), "innermost")
	assert.NotContains(t, byValue(t, Of(events.SQSMessage{Body: nest(16)}, "")), "innermost")

	many := map[string]string{}
	for i := range 3 * maxStrings {
		many[fmt.Sprintf("key-%06d", i)] = fmt.Sprintf("value-%06d", i)
	}
	assert.Len(t, Of(many, "req-1"), maxStrings)

	big := `{"pad":"` + strings.Repeat("x", maxBody) + `","hidden":"past-the-limit"}`
	bm := byValue(t, Of(events.SQSMessage{Body: big}, ""))
	assert.Contains(t, bm, big, "the body is data, even unparsed")
	assert.NotContains(t, bm, "past-the-limit", "a body over 1 MiB is not parsed")
}

func TestOfOpaque(t *testing.T) {
	type withLock struct {
		mu  *sync.Mutex
		ctx any
		Msg string
	}
	var mu sync.Mutex
	mu.Lock() // held by someone else: the walk must not care
	defer mu.Unlock()
	ctx := t.Context()
	m := byValue(t, Of(withLock{mu: &mu, ctx: ctx, Msg: "beside-a-lock"}, ""))
	assert.Contains(t, m, "beside-a-lock")
}

func TestOfRawPayload(t *testing.T) {
	m := byValue(t, Of([]byte(`{"a":{"b":["first-value",12345678901234567890]},"c":"second","ok":true,"none":null}`), ""))
	assert.Equal(t, `["a"]["b"][0]`, where(m["first-value"]))
	assert.Equal(t, `["a"]["b"][1]`, where(m["12345678901234567890"]), "a number is its literal text")
	assert.Equal(t, `["c"]`, where(m["second"]))
	assert.True(t, m["ok"].Key)
	assert.NotContains(t, m, "true")

	// A Kinesis record's data: base64 of the producer's bytes.
	k := byValue(t, Of([]byte(`{"Records":[{"kinesis":{"data":"eyJ1c2VyIjoiY2Fyb2wifQ=="}}]}`), ""))
	assert.Equal(t, `["Records"][0]["kinesis"]["data"].(base64)`, where(k[`{"user":"carol"}`]))
	assert.Equal(t, `["Records"][0]["kinesis"]["data"].(base64).(json)["user"]`, where(k["carol"]))

	assert.Equal(t, []T{{From: nil, Value: "not json"}}, Of([]byte("not json"), ""), "text is text")
	assert.Empty(t, Of([]byte{0xff, 0xfe, 0}, ""), "binary is nothing")
	assert.Empty(t, Of(nil, ""))
	assert.Equal(t, []T{{From: []Step{{Text: "request id"}}, Value: "req-1"}}, Of(nil, "req-1"))
	named := byValue(t, Of(json.RawMessage(`{"m":"from-raw-message"}`), ""))
	assert.Equal(t, `["m"]`, where(named["from-raw-message"]))
}

func TestOfHeaders(t *testing.T) {
	ev := events.APIGatewayProxyRequest{
		Headers: map[string]string{
			"Content-Type":  "application/json",
			"Accept":        "*/*",
			"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig",
			"Cookie":        "session=s3ss10n-t0k3n; theme=dark",
			"X-Trace":       "trace-1234",
		},
		MultiValueHeaders: map[string][]string{"User-Agent": {"curl/8.0"}, "X-Trace": {"trace-1234"}},
	}
	m := byValue(t, Of(ev, ""))
	assert.NotContains(t, m, "application/json", "the same for every caller: a response's Content-Type is no leak")
	assert.NotContains(t, m, "Content-Type")
	assert.NotContains(t, m, "curl/8.0")
	assert.Equal(t, `.Headers["Authorization"].(credentials)`, where(m["eyJhbGciOiJIUzI1NiJ9.e30.sig"]))
	assert.Equal(t, `.Headers["Cookie"]["session"]`, where(m["s3ss10n-t0k3n"]))
	assert.True(t, m["session"].Key)
	assert.Equal(t, `.Headers["X-Trace"]`, where(m["trace-1234"]))

	raw, err := json.Marshal(ev)
	require.NoError(t, err)
	assert.Equal(t, evidenceOf(Of(ev, "")), evidenceOf(Of(raw, "")))
}

func TestOfHTTPRequest(t *testing.T) {
	req := httptest.NewRequest("POST", "/items/abc?token=sekrit&n=1&token=other", strings.NewReader(`{"body":"unread"}`))
	req.Header.Set("Authorization", "Bearer xyz")
	req.Header.Set("Cookie", "sid=cookie-value")
	req.Header.Set("X-Api-Key", "k1")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Mozilla/5.0")
	req.Header.Set("X-Request-Note", "a note")
	req.Header.Set("X-Short", "abc")
	m := byValue(t, Of(req, ""))
	assert.Equal(t, `.URL.Path`, where(m["/items/abc"]))
	assert.Equal(t, `.URL.Query()["token"][0]`, where(m["sekrit"]))
	assert.Equal(t, `.URL.Query()["token"][1]`, where(m["other"]))
	assert.True(t, m["token"].Key)
	assert.Contains(t, m, "1", "a short value is kept for scrubbing")
	assert.Equal(t, `.Header["Authorization"][0]`, where(m["Bearer xyz"]))
	assert.Equal(t, `.Header["Authorization"][0].(credentials)`, where(m["xyz"]))
	assert.Equal(t, `.Header["Cookie"][0]["sid"]`, where(m["cookie-value"]))
	assert.Equal(t, `.Header["X-Api-Key"][0]`, where(m["k1"]), "a credential of any length")
	assert.Equal(t, `.Header["X-Request-Note"][0]`, where(m["a note"]))
	assert.NotContains(t, m, "abc", "another header's short value proves nothing")
	assert.NotContains(t, m, "application/json")
	assert.NotContains(t, m, "Mozilla/5.0")
	assert.NotContains(t, m, "unread", "the body is the handler's")
	got, err := req.Body.Read(make([]byte, 1))
	assert.Equal(t, 1, got, "and still there for it")
	assert.NoError(t, err)

	// The same request inside a typed event.
	assert.Equal(t, `.R.URL.Query()["token"][0]`, where(byValue(t, Of(struct{ R any }{req}, ""))["sekrit"]))
}

func TestWhere(t *testing.T) {
	x := T{From: []Step{{Text: "Body"}, {Text: "(json)"}, {Key: true, Text: "items"}, {Text: "[0]"}, {Key: true, Text: "alice@example.com"}}}
	assert.Equal(t, `.Body.(json)["items"][0]["alice@example.com"]`, x.Where(strconv.Quote))
	assert.Equal(t, `.Body.(json)[key(len=5)][0][key(len=17)]`, x.Where(keyLen))
	assert.Equal(t, "request id", T{From: []Step{{Text: "request id"}}}.Where(strconv.Quote))
	assert.Equal(t, "", T{}.Where(strconv.Quote))
	assert.Equal(t, "[Body (json) [key(len=5)] [0] [key(len=17)]]", fmt.Sprint(x.From), "a path printed by mistake shows no key")
}

func TestFind(t *testing.T) {
	ts := Of([]byte(`{"m":"hoge","n":"hogehoge","hogehogehoge":1,"s":"abc"}`), "")
	got, ok := Find("warmstart, message=hogehoge", ts)
	assert.True(t, ok)
	assert.Equal(t, "hogehoge", got.Value, "the longest match is named")
	got, ok = Find("a key: hogehogehoge", ts)
	assert.True(t, ok)
	assert.Equal(t, "hogehoge", got.Value, "found as the value it contains, never as the key")
	_, ok = Find("abc", ts)
	assert.False(t, ok, "shorter than MinLen")
	_, ok = Find("nothing here", ts)
	assert.False(t, ok)
}

func TestSecrets(t *testing.T) {
	ts := Of([]byte(`{"message":"hoge","n":7,"alice@example.com":"x"}`), "req-1")
	assert.Equal(t, []string{"alice@example.com", "message", "req-1", "hoge", "x", "n", "7"}, Secrets(ts),
		"keys and short strings included, longest first")
}
