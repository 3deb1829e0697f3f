package taint

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// FuzzOf feeds arbitrary bytes to Of as a raw payload, as the body of a
// typed API Gateway event (plain and base64-flagged), and as the URL and
// credential headers of an *http.Request. Of must never panic (here with its
// recover off), and must never invent a string: every value it returns is
// part of the input or of a decoded form of part of it (a JSON string, key
// or number; base64). Its paths over a raw payload name nothing but
// redacted keys, indexes and markers.
func FuzzOf(f *testing.F) {
	f.Add([]byte(`{"queryStringParameters":{"message":"hoge"}}`))
	f.Add([]byte(`[[[["deep"]]]]`))
	f.Add([]byte(jobBody))
	f.Add([]byte(`{"body":"eyJqb2IiOnsidXJsIjoiaHR0cHM6Ly9leGFtcGxlLmNvbSJ9fQ==","isBase64Encoded":true}`))
	f.Add([]byte(`{"Records":[{"body":"{\"Type\":\"Notification\",\"Message\":\"{\\\"pin\\\":739}\"}"}]}`))
	f.Add([]byte(`{"Records":[{"kinesis":{"data":"SGVsbG8gV29ybGQ="}}]}`))
	f.Add([]byte(`{"headers":{"Authorization":"Bearer abc","Cookie":"a=b; c=d","Accept":"*/*"},"multiValueHeaders":{"X":["v1",2]}}`))
	f.Add([]byte(`token=a%20b&x=%zz&;=`))
	redacted := regexp.MustCompile(`^(request id|\[key\(len=\d+\)\]|\[\d+\]|\.\((json|base64|credentials)\))*$`)
	step := regexp.MustCompile(`request id|\[key\(len=\d+\)\]|\[\d+\]|\.\((json|base64|credentials)\)`)

	f.Fuzz(func(t *testing.T, b []byte) {
		check := func(name string, ts []T, forms []string) {
			t.Helper()
			seen := map[string]bool{}
			for i, x := range ts {
				if seen[x.Value] {
					t.Fatalf("%s: %q collected twice", name, x.Value)
				}
				seen[x.Value] = true
				if i > 0 && len(x.Value) > len(ts[i-1].Value) {
					t.Fatalf("%s: not longest first at %d", name, i)
				}
				if !containedIn(x.Value, forms) {
					t.Fatalf("%s: %q (at %s) is in no decoded form of the input", name, x.Value, x.Where(keyLen))
				}
				if evidence(x) {
					if _, ok := Find(x.Value, ts); !ok {
						t.Fatalf("%s: Find misses %q", name, x.Value)
					}
				}
			}
			if len(ts) > maxStrings {
				t.Fatalf("%s: %d strings", name, len(ts))
			}
		}

		raw := of(b, "id", false)
		check("raw", raw, append(decodedForms(b), "id"))
		for _, x := range raw {
			if w := x.Where(keyLen); !redacted.MatchString(w) {
				t.Fatalf("raw: path %q of %q is not made of redacted steps (%q)", w, x.Value, step.FindAllString(w, -1))
			}
		}

		body := string(b)
		check("typed", of(events.APIGatewayV2HTTPRequest{Body: body}, "", false), decodedForms(b))
		check("typed base64", of(events.APIGatewayV2HTTPRequest{Body: body, IsBase64Encoded: true}, "", false), decodedForms(b))

		u := &url.URL{Path: body, RawQuery: body}
		req := &http.Request{URL: u, Header: http.Header{"Authorization": {body}, "Cookie": {body}, "X-Other": {body}}}
		forms := append(decodedForms(b), "X-Other")
		// The parts of a header a handler keeps alone: credentials after
		// the scheme, and cookie values.
		if _, cred, ok := strings.Cut(strings.TrimSpace(body), " "); ok {
			forms = append(forms, decodedForms([]byte(strings.TrimSpace(cred)))...)
		}
		for part := range strings.SplitSeq(body, ";") {
			if _, v, ok := strings.Cut(part, "="); ok {
				forms = append(forms, decodedForms([]byte(v))...)
			}
		}
		for k, vs := range u.Query() {
			forms = append(forms, decodedForms([]byte(k))...)
			for _, v := range vs {
				forms = append(forms, decodedForms([]byte(v))...)
			}
		}
		check("http", of(req, "", false), forms)
	})
}

func containedIn(s string, forms []string) bool {
	for _, f := range forms {
		if strings.Contains(f, s) {
			return true
		}
	}
	return false
}

// decodedForms returns b and every text a part of it decodes to in the ways
// a request carries data: JSON (its strings, keys and numbers) and base64,
// one inside the other to any depth. It is more lenient than Of (it decodes
// every string, of any length, and JSON followed by anything), so that it
// bounds what Of may return without repeating Of's rules.
func decodedForms(b []byte) []string {
	var out []string
	var fromBytes func([]byte)
	var fromJSON func(any)
	fromJSON = func(v any) {
		switch v := v.(type) {
		case string:
			fromBytes([]byte(v))
		case json.Number:
			out = append(out, v.String())
		case map[string]any:
			for k, e := range v {
				out = append(out, k)
				fromJSON(e)
			}
		case []any:
			for _, e := range v {
				fromJSON(e)
			}
		}
	}
	fromBytes = func(b []byte) {
		out = append(out, string(b))
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			fromJSON(v)
		}
		if d, err := base64.StdEncoding.DecodeString(string(b)); err == nil && len(d) > 0 {
			fromBytes(d)
		}
	}
	fromBytes(b)
	return out
}
