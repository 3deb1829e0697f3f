package guard

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/lambdaguard/lambdaguard/internal/snapshot"
)

// minTaintLen is the shortest request string that is tracked: shorter ones
// ("GET", "2.0", "/") are everywhere and prove nothing.
const minTaintLen = 4

// taint is a string taken from the request.
type taint struct {
	from  string // where in the request: a field path, "request id"
	value string
}

// taintsOf collects the strings of an event: the typed event's string fields
// (by reflection), the JSON payload's string values, or an HTTP request's
// path, query and credentials.
func taintsOf(event any, requestID string) []taint {
	seen := map[string]bool{}
	var out []taint
	add := func(from, v string) {
		if len(v) < minTaintLen || seen[v] {
			return
		}
		seen[v] = true
		out = append(out, taint{from: from, value: v})
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
		snapshot.Take(&ev, snapshot.Limits{MaxDepth: 16, MaxNodes: 100000}).Strings(func(p, v string) bool {
			add(strings.TrimPrefix(p, "."), v)
			return true
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].value) > len(out[j].value) })
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

// tainted returns the first request string that s contains.
func tainted(s string, ts []taint) (taint, bool) {
	for _, t := range ts {
		if strings.Contains(s, t.value) {
			return t, true
		}
	}
	return taint{}, false
}

func taintValues(ts []taint) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.value
	}
	return out
}
