package taint

import (
	"fmt"
	"net/http"
	"net/textproto"
	"sort"
	"strings"
)

// credentialHeaders are read whatever their length: they are the caller's
// secret by definition. Their names are vocabulary and printed as they are.
var credentialHeaders = []string{"Authorization", "Cookie", "X-Api-Key"}

// request collects an *http.Request's path, query and headers. Its body is
// the handler's to read, once: reading it here would take it away.
func (c *collector) request(from []Step, r *http.Request, depth int) {
	if r == nil || c.stop(depth) {
		return
	}
	if r.URL != nil {
		u := step(from, field("URL"))
		c.text(step(u, field("Path")), r.URL.Path, depth+1)
		q := r.URL.Query()
		names := make([]string, 0, len(q))
		for n := range q {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			at := step(u, field("Query()"), key(n))
			c.add(at, n, true)
			for i, v := range q[n] {
				c.text(step(at, index(i)), v, depth+2)
			}
		}
	}
	h := step(from, field("Header"))
	names := make([]string, 0, len(r.Header))
	for n := range r.Header {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if vocabulary(n) {
			continue
		}
		credential := isCredential(n)
		at := step(h, Step{Text: fmt.Sprintf("[%q]", textproto.CanonicalMIMEHeaderKey(n))})
		if !credential {
			at = step(h, key(n))
			c.add(at, n, true)
		}
		for i, v := range r.Header[n] {
			if credential || len(v) >= MinLen {
				c.header(step(at, index(i)), n, v, depth+1)
			}
		}
	}
}

func isCredential(name string) bool {
	for _, h := range credentialHeaders {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return false
}

// header records one header value, and the parts a handler would keep on
// their own: the credentials of an Authorization header without its scheme,
// and each cookie of a Cookie header.
func (c *collector) header(from []Step, name, v string, depth int) {
	c.text(from, v, depth)
	if depth >= maxDepth {
		return
	}
	switch {
	case strings.EqualFold(name, "Authorization"), strings.EqualFold(name, "Proxy-Authorization"):
		if _, cred, ok := strings.Cut(strings.TrimSpace(v), " "); ok {
			c.text(step(from, field(markCredentials)), strings.TrimSpace(cred), depth+1)
		}
	case strings.EqualFold(name, "Cookie"):
		for part := range strings.SplitSeq(v, ";") {
			n, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || n == "" {
				continue
			}
			at := step(from, key(n))
			c.add(at, n, true)
			c.text(at, val, depth+1)
		}
	}
}

// isHeaderMap reports whether a field or key of this name holds an event's
// HTTP headers: API Gateway's, ALB's and function URLs' headers and
// multiValueHeaders.
func isHeaderMap(name string) bool {
	return strings.EqualFold(name, "headers") || strings.EqualFold(name, "multiValueHeaders")
}

// vocabulary reports whether a header's value is the same for every caller
// of a route (a client's Accept, Content-Type, User-Agent, the API's Host,
// CloudFront's viewer flags), and so proves nothing when a response carries
// it: a JSON response's Content-Type is not a leak of the last request's.
func vocabulary(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "content-type", "content-length", "content-encoding", "connection", "host",
		"user-agent", "cache-control", "pragma", "keep-alive", "te", "upgrade-insecure-requests",
		"dnt", "via", "x-forwarded-proto", "x-forwarded-port", "origin":
		return true
	}
	for _, p := range []string{"accept", "sec-fetch-", "sec-ch-ua", "cloudfront-"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

func keyLen(k string) string { return fmt.Sprintf("key(len=%d)", len(k)) }
