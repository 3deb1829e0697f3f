package tracing

import (
	"fmt"
	"strings"

	"go.opentelemetry.io/contrib/propagators/autoprop"
	"go.opentelemetry.io/otel/propagation"
)

// envPropagators reads OTEL_PROPAGATORS, a comma-separated list of
// propagator names, as the OpenTelemetry SDK configuration specifies it:
// tracecontext, baggage, b3, b3multi, jaeger, ottrace (contrib's autoprop
// builds those), xray (this package's X-Ray propagator, see WithPropagator),
// xray-lambda, and none. xray-lambda is xray, and makes Lambda's own X-Ray
// context the parent of the invocation's span, over the event's (which is
// linked instead), as the AWS Lambda conventions ask users be able to
// choose. An empty list gives nil: the default stands. A name it does not
// know is an error; the others are still returned, and when it names none
// that this package knows, nil.
func envPropagators(list string) (p propagation.TextMapPropagator, lambdaFirst bool, err error) {
	var props []propagation.TextMapPropagator
	var unknown []string
	seen := false
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		seen = true
		switch name {
		case "none":
			continue
		case "tracecontext":
			props = append(props, propagation.TraceContext{})
		case "baggage":
			props = append(props, propagation.Baggage{})
		case "xray":
			props = append(props, xrayPropagator{})
		case "xray-lambda":
			props = append(props, xrayPropagator{})
			lambdaFirst = true
		default:
			other, aerr := autoprop.TextMapPropagator(name)
			if aerr != nil {
				unknown = append(unknown, fmt.Sprintf("%q", name))
				continue
			}
			props = append(props, other)
		}
	}
	if len(unknown) > 0 {
		err = fmt.Errorf("tracing: OTEL_PROPAGATORS: unknown propagator %s", strings.Join(unknown, ", "))
	}
	if !seen || len(props) == 0 && len(unknown) > 0 {
		return nil, false, err
	}
	return propagation.NewCompositeTextMapPropagator(props...), lambdaFirst, err
}
