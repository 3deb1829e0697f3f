package tracing

import (
	"net"
	"net/http"
	"strconv"
	"strings"

	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// httpRequest is what the HTTP conventions' server span needs of a request,
// whichever event or server delivered it.
type httpRequest struct {
	method    string
	route     string // the path template; empty when the trigger has none
	path      string
	query     string // raw, as the client sent it; empty when the event has none
	scheme    string // empty: from X-Forwarded-Proto
	protocol  string // "HTTP/1.1"
	clientIP  string // the peer the trigger saw; X-Forwarded-For's first wins
	userAgent string // empty: from User-Agent
	host      string // empty: from Host
	headers   headerCarrier
	// authorizer: an API Gateway authorizer's request, which answers with a
	// policy rather than an HTTP response.
	authorizer bool
}

// httpV1Source reads an API Gateway REST (v1) event, or one shaped like it:
// an ALB's, a websocket's, a REQUEST authorizer's.
func (p *payload) httpV1Source() source {
	rc := &p.RequestContext
	return httpSource(httpRequest{
		method:     p.HTTPMethod,
		route:      p.Resource,
		path:       p.Path,
		protocol:   rc.Protocol,
		clientIP:   rc.Identity.SourceIP,
		userAgent:  rc.Identity.UserAgent,
		host:       rc.DomainName,
		headers:    headerCarrier{single: p.Headers, multi: p.MultiValueHeaders},
		authorizer: p.Type != "",
	})
}

// httpV2Source reads an API Gateway HTTP API (v2) or function URL event, or
// an HTTP API authorizer's.
func (p *payload) httpV2Source() source {
	h := &p.RequestContext.HTTP
	return httpSource(httpRequest{
		method:     h.Method,
		route:      routeOf(p.RouteKey),
		path:       p.RawPath,
		query:      p.RawQueryString,
		protocol:   h.Protocol,
		clientIP:   h.SourceIP,
		userAgent:  h.UserAgent,
		host:       p.RequestContext.DomainName,
		headers:    headerCarrier{single: p.Headers},
		authorizer: p.Type != "",
	})
}

// requestSource reads a request served through guard.HTTP.
func requestSource(r *http.Request) source {
	scheme := ""
	if r.TLS != nil {
		scheme = "https"
	}
	client, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		client = r.RemoteAddr
	}
	return httpSource(httpRequest{
		method:   r.Method,
		route:    patternRoute(r.Pattern),
		path:     r.URL.Path,
		query:    r.URL.RawQuery,
		scheme:   scheme,
		protocol: r.Proto,
		clientIP: client,
		host:     r.Host,
		headers:  headerCarrier{multi: r.Header},
	})
}

// patternRoute returns the path of a ServeMux pattern ("GET
// example.com/orders/{id}" gives "/orders/{id}"), set when guard.HTTP runs
// behind the mux that matched it; "" when there is none.
func patternRoute(pattern string) string {
	if i := strings.IndexByte(pattern, '/'); i >= 0 {
		return pattern[i:]
	}
	return ""
}

// routeOf returns the path template of an HTTP API route key ("GET /pets/{id}").
func routeOf(routeKey string) string {
	if _, route, ok := strings.Cut(routeKey, " "); ok {
		return route
	}
	return "" // "$default"
}

// httpSource is the SERVER span of an HTTP request, named "{method}
// {route}", or "{method}" without a route, as the HTTP conventions ask.
func httpSource(r httpRequest) source {
	s := source{trigger: semconv.FaaSTriggerHTTP, kind: trace.SpanKindServer, http: !r.authorizer, carrier: r.headers}
	method, known := normalMethod(r.method)
	s.name = method
	if !known {
		s.name = "HTTP"
	}
	if r.route != "" {
		s.name += " " + r.route
	}
	if method != "" {
		s.attrs.add(semconv.HTTPRequestMethodKey.String(method))
	}
	if !known && r.method != "" {
		s.attrs.add(semconv.HTTPRequestMethodOriginal(r.method))
	}
	s.attrs.addString(semconv.HTTPRouteKey, r.route)
	s.attrs.addString(semconv.URLPathKey, r.path)
	s.attrs.addString(semconv.URLQueryKey, redactQuery(r.query))
	scheme := r.scheme
	if scheme == "" {
		scheme = strings.ToLower(firstValue(r.headers.get("X-Forwarded-Proto", "x-forwarded-proto")))
	}
	s.attrs.addString(semconv.URLSchemeKey, scheme)
	if r.userAgent == "" {
		r.userAgent = r.headers.get("User-Agent", "user-agent")
	}
	s.attrs.addString(semconv.UserAgentOriginalKey, r.userAgent)
	client := firstValue(r.headers.get("X-Forwarded-For", "x-forwarded-for"))
	if client == "" {
		client = r.clientIP
	}
	s.attrs.addString(semconv.ClientAddressKey, client)
	host := r.headers.get("Host", "host")
	if host == "" {
		host = r.host
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	s.attrs.addString(semconv.ServerAddressKey, host)
	s.attrs.addString(semconv.NetworkProtocolVersionKey, protocolVersion(r.protocol))
	return s
}

// knownMethods are the methods the HTTP conventions name; any other is
// _OTHER, with the original beside it.
var knownMethods = map[string]bool{
	"CONNECT": true, "DELETE": true, "GET": true, "HEAD": true, "OPTIONS": true,
	"PATCH": true, "POST": true, "PUT": true, "TRACE": true, "QUERY": true,
}

// normalMethod returns method as http.request.method holds it, and whether
// the conventions know it (case matters: "get" is not GET).
func normalMethod(method string) (string, bool) {
	if method == "" {
		return "", true
	}
	if knownMethods[method] {
		return method, true
	}
	return "_OTHER", false
}

// firstValue returns the first entry of a comma-separated header value.
func firstValue(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}

// protocolVersion turns "HTTP/1.1" into "1.1"; another protocol ("websocket")
// or a version that is not a number gives "".
func protocolVersion(p string) string {
	v, ok := strings.CutPrefix(strings.ToUpper(p), "HTTP/")
	if !ok {
		return ""
	}
	if _, err := strconv.ParseFloat(v, 64); err != nil {
		return ""
	}
	return v
}

// redactedQueryKeys are the query parameters whose values the HTTP
// conventions ask to replace with REDACTED: they are credentials.
var redactedQueryKeys = map[string]bool{"AWSAccessKeyId": true, "Signature": true, "sig": true, "X-Goog-Signature": true}

// redactQuery returns a raw query with the values of redactedQueryKeys
// replaced by REDACTED, the rest as it was.
func redactQuery(q string) string {
	if q == "" || !strings.ContainsAny(q, "ASsX") {
		return q
	}
	parts := strings.Split(q, "&")
	changed := false
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		if ok && redactedQueryKeys[k] {
			parts[i] = k + "=REDACTED"
			changed = true
		}
	}
	if !changed {
		return q
	}
	return strings.Join(parts, "&")
}
