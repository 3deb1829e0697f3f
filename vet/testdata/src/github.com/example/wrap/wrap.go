// Package wrap stands for a third-party handler wrapper (otellambda's
// InstrumentHandler, a middleware).
package wrap

// Instrument returns a handler that calls handlerFunc.
func Instrument(handlerFunc interface{}, name string) interface{} { return handlerFunc }

// Typed returns h, decorated.
func Typed[TIn, TOut any](h func(TIn) (TOut, error)) func(TIn) (TOut, error) { return h }
