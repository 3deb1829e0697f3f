package entries

import (
	"context"
	"net/http"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/example/wrap"

	"github.com/lambdaguard/lambdaguard/guard"
)

var a, b, c, d, e, f, g, h, i, j, k, l, m string

// kept is a handler kept in a package-level variable.
var kept = func(ctx context.Context, s string) (string, error) {
	k = s // want `package-level variable k: .* \(handler init.func1: init.func1\)`
	return s, nil
}

func viaWrapper(ctx context.Context, s string) (string, error) {
	l = s // want `package-level variable l: .* \(handler viaWrapper: viaWrapper\)`
	return s, nil
}

func viaStart(ctx context.Context, s string) (string, error) {
	a = s // want `package-level variable a: .* \(handler viaStart: viaStart\)`
	return s, nil
}

func viaWrap(ctx context.Context, s string) (string, error) {
	b = s // want `package-level variable b: .* \(handler viaWrap: viaWrap\)`
	return s, nil
}

type invoker struct{}

func (invoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	c = string(payload) // want `package-level variable c: .* \(handler invoker.Invoke: invoker.Invoke\)`
	return payload, nil
}

type server struct{ hits int }

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d = r.URL.Path // want `package-level variable d: .* \(handler \(\*server\).ServeHTTP: \(\*server\).ServeHTTP\)`
	s.hits++       // want `write to the receiver of handler \(\*server\).ServeHTTP \(as s.hits\)`
}

func serveFunc(w http.ResponseWriter, r *http.Request) {
	e = r.URL.Path // want `package-level variable e: .* \(handler serveFunc: serveFunc\)`
}

func viaLambda(ctx context.Context, s string) (string, error) {
	f = s // want `package-level variable f: .* \(handler viaLambda: viaLambda\)`
	return s, nil
}

type app struct{}

func (app) handle(ctx context.Context, s string) (string, error) {
	g = s // want `package-level variable g: .* \(handler app.handle: app.handle\)`
	return s, nil
}

type pointerInvoker struct{ n int }

func (p *pointerInvoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	h = string(payload) // want `package-level variable h: .* \(handler \(\*pointerInvoker\).Invoke: \(\*pointerInvoker\).Invoke\)`
	return nil, nil
}

// newHandler builds a handler: what it returns is the handler.
func newHandler(prefix string) func(context.Context, string) (string, error) {
	return func(ctx context.Context, s string) (string, error) {
		i = prefix + s // want `package-level variable i: .* \(handler newHandler.func1: newHandler.func1\)`
		return i, nil
	}
}

func viaNewHandler(ctx context.Context, s string) (string, error) {
	j = s // want `package-level variable j: .* \(handler viaNewHandler: viaNewHandler\)`
	return s, nil
}

// perRecord is a batch helper's record handler.
func perRecord(ctx context.Context, rec any) error {
	m = "last record" // want `package-level variable m: .* \(handler perRecord: perRecord\)`
	return nil
}

func Main() {
	guard.Start(viaStart)
	_ = guard.Wrap(viaWrap)
	_ = guard.WrapHandler(invoker{})
	_ = guard.HTTP(&server{})
	_ = guard.HTTP(http.HandlerFunc(serveFunc))
	lambda.Start(viaLambda)
	lambda.StartWithOptions(app{}.handle)
	lambda.StartHandler(&pointerInvoker{})
	lambda.Start(newHandler("> "))
	_ = lambda.NewHandler(viaNewHandler)
	lambda.Start(kept)
	lambda.Start(wrap.Instrument(viaWrapper, "fn"))
	guard.Start(guard.SQS(perRecord))
}
