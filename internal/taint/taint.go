// Package taint collects the strings a request carried, so that they can be
// looked for where the next request can see them: a watched variable, the
// environment, a stray file, a later response.
package taint

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/lambdaguard/lambdaguard/internal/snapshot"
)

// MinLen is the shortest request string that is tracked: shorter ones
// ("GET", "2.0", "/") are everywhere and prove nothing.
const MinLen = 4

// T is a string taken from the request.
type T struct {
	From  string // where in the request: a field path, "request id"
	Value string
}

// Of collects the string values of an event (not its keys: "message" in
// ?message=hoge is the application's vocabulary, not the caller's data): the typed event's string fields
// (by reflection), the JSON payload's string values, or an HTTP request's
// path, query and credentials.
func Of(event any, requestID string) []T {
	seen := map[string]bool{}
	var out []T
	add := func(from, v string) {
		if len(v) < MinLen || seen[v] {
			return
		}
		seen[v] = true
		out = append(out, T{From: from, Value: v})
	}
	add("request id", requestID)
	switch ev := event.(type) {
	case nil:
	case []byte:
		dec := json.NewDecoder(bytes.NewReader(ev))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			jsonStrings("", v, add)
		}
	case *http.Request:
		add("path", ev.URL.Path)
		for k, vs := range ev.URL.Query() {
			for _, v := range vs {
				add("query."+k, v)
			}
		}
		for _, h := range []string{"Authorization", "Cookie", "X-Api-Key"} {
			for _, v := range ev.Header.Values(h) {
				add("header."+h, v)
			}
		}
	default:
		snapshot.Take(&ev, snapshot.Limits{MaxDepth: 16, MaxNodes: 100000}).Values(func(p, v string) bool {
			add(strings.TrimPrefix(p, "."), v)
			return true
		})
	}
	// Longest first: a finding names the most specific value it contains.
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].Value) > len(out[j].Value) })
	return out
}

func jsonStrings(path string, v any, add func(string, string)) {
	switch v := v.(type) {
	case string:
		add(path, v)
	case map[string]any:
		for k, e := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			jsonStrings(p, e, add)
		}
	case []any:
		for i, e := range v {
			jsonStrings(path+"["+strconv.Itoa(i)+"]", e, add)
		}
	}
}

// Find returns the first request string that s contains.
func Find(s string, ts []T) (T, bool) {
	for _, t := range ts {
		if strings.Contains(s, t.Value) {
			return t, true
		}
	}
	return T{}, false
}

// Values returns the strings of ts.
func Values(ts []T) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Value
	}
	return out
}
