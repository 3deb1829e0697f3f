package taint

import (
	"bytes"
	"context"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The walk's bounds. Of runs after every invocation in debug mode, on events
// it does not choose: they keep it from spending more than a few
// milliseconds, or much memory, on a large or hostile one.
const (
	maxDepth   = 32      // levels of fields, elements, keys and decodings
	maxStrings = 10000   // distinct strings collected
	maxVisits  = 1 << 20 // values looked at, duplicates included
	maxBody    = 1 << 20 // longest string or bytes parsed as JSON or decoded
	maxPayload = 6 << 20 // longest raw payload parsed: Lambda's request limit
	minBase64  = 8       // shortest string guessed to be base64 (4 bytes of text)
)

// Markers, in parentheses so that no field name can be mistaken for one.
const (
	markJSON        = "(json)"
	markBase64      = "(base64)"
	markCredentials = "(credentials)"
)

// Of collects the strings of an event: the request id, and the values of any
// length and the keys (Key=true) the event carries, deduplicated by value (a
// value wins over the same string seen as a key) and longest first, so that
// Find names the most specific string it finds.
//
// A []byte or json.RawMessage event is the raw payload of a lambda.Handler
// and is parsed as JSON. An *http.Request gives its path, its query (values,
// and keys as keys), its credential headers and the values of its other
// headers of at least MinLen bytes, except those that are the same for every
// caller (Accept, Content-Type, User-Agent, Host…); its body is not read,
// it is the handler's. Any other event is walked by reflection, into
// unexported fields, maps, slices, arrays, pointers and interfaces; a value
// whose type marshals itself (time.Time, the events package's epoch times and
// DynamoDB attribute values) is taken as its JSON, the form in which it
// travels.
//
// Inside, wherever the string is:
//   - a string that is a JSON object or array (an API Gateway, ALB or
//     function URL body, an SQS body, an SNS Message, strings nested deeper)
//     is parsed, and its strings, keys and numbers collected under "(json)";
//   - a body whose sibling IsBase64Encoded is true is decoded, and a string
//     of at least 8 bytes that decodes as standard base64 to text (a Kinesis
//     record's data) is added decoded too, under "(base64)", and parsed when
//     it is JSON;
//   - a []byte value is taken as text, or parsed when it is JSON, and in its
//     base64 form, the form json.Marshal gives it in a response;
//   - numbers count as strings, by their literal text ("739"): a PIN or an
//     amount is data. A typed event's zero numbers are left out: most are
//     fields the event did not have.
//
// Header maps (a field or key named Headers or MultiValueHeaders, or an
// http.Header) leave out the same every-caller headers as an *http.Request,
// and split a Cookie header into its cookies and an Authorization header's
// credentials from its scheme, so that a stored token is found without its
// "Bearer ".
//
// The walk is cycle-safe and bounded (32 levels, 10,000 strings, bodies of
// up to 1 MiB parsed, a raw payload of up to 6 MiB); beyond the bounds it
// stops, keeping what it found. It does not read values that another lock
// protects (sync types, contexts, files, connections, readers): a goroutine
// the handler left may still be using them. It never panics.
func Of(event any, requestID string) []T {
	return of(event, requestID, true)
}

// of is Of; the fuzz target calls it with recovering off, so that a panic
// the detector would have swallowed fails the fuzz run instead.
func of(event any, requestID string, recovering bool) []T {
	c := &collector{index: map[string]int{}, seen: map[visit]bool{}}
	if requestID != "" {
		c.add([]Step{{Text: "request id"}}, requestID, false)
	}
	func() {
		if recovering {
			defer func() { _ = recover() }() // what was found before stays found
		}
		c.event(event)
	}()
	// Longest first: a finding names the most specific value it contains.
	sort.SliceStable(c.out, func(i, j int) bool { return len(c.out[i].Value) > len(c.out[j].Value) })
	return c.out
}

type collector struct {
	out    []T
	index  map[string]int // Value -> its position in out
	seen   map[visit]bool // pointers, maps and slices already walked
	visits int
	full   bool
}

// visit names a pointer, map or slice already walked: sharing and cycles
// are walked once.
type visit struct {
	p   uintptr
	t   reflect.Type
	len int
}

// step returns from with s appended, in a new array: paths share prefixes
// and each T keeps its own.
func step(from []Step, s ...Step) []Step {
	out := make([]Step, len(from), len(from)+len(s))
	copy(out, from)
	return append(out, s...)
}

func field(name string) Step { return Step{Text: name} }
func key(k string) Step      { return Step{Key: true, Text: k} }
func index(i int) Step       { return Step{Text: "[" + strconv.Itoa(i) + "]"} }

// add records v, found at from. The first place a string is seen names it,
// except that a value replaces a key: only a value is evidence.
func (c *collector) add(from []Step, v string, isKey bool) {
	if v == "" {
		return
	}
	if i, ok := c.index[v]; ok {
		if c.out[i].Key && !isKey {
			c.out[i] = T{From: from, Value: v}
		}
		return
	}
	if len(c.out) >= maxStrings {
		c.full = true
		return
	}
	c.index[v] = len(c.out)
	c.out = append(c.out, T{From: from, Value: v, Key: isKey})
}

// stop counts a visit and reports whether the walk is over its bounds.
func (c *collector) stop(depth int) bool {
	if c.visits++; c.visits > maxVisits {
		c.full = true
	}
	return c.full || depth > maxDepth
}

func (c *collector) event(ev any) {
	switch e := ev.(type) {
	case nil:
		return
	case *http.Request:
		c.request(nil, e, 0)
		return
	case []byte:
		c.payload(e)
		return
	case json.RawMessage:
		c.payload(e)
		return
	}
	v := reflect.ValueOf(ev)
	if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 && !marshals(v.Type()) {
		c.payload(v.Bytes()) // a named []byte type: still the payload
		return
	}
	// An addressable copy, so that methods on pointer receivers (a
	// MarshalJSON on *T) can be called on the event's own fields.
	p := reflect.New(v.Type()).Elem()
	p.Set(v)
	c.value(nil, p, 0)
}

// payload parses a raw payload: JSON as Lambda delivers it, or text.
func (c *collector) payload(b []byte) {
	if len(b) <= maxPayload && json.Valid(b) {
		c.json(nil, b, 0)
		return
	}
	if isText(b) {
		c.text(nil, string(b), 0)
	}
}

// text records a string, and what it holds: the strings of a JSON object or
// array, or the text a base64 string decodes to.
func (c *collector) text(from []Step, s string, depth int) {
	c.add(from, s, false)
	if c.full || len(s) > maxBody || depth >= maxDepth {
		return
	}
	if isJSONText(s) {
		c.json(step(from, field(markJSON)), []byte(s), depth+1)
		return
	}
	if b, ok := base64Text(s); ok {
		c.bytes(step(from, field(markBase64)), b, depth+1)
	}
}

// bytes records bytes that are text: decoded from base64, or a []byte value.
func (c *collector) bytes(from []Step, b []byte, depth int) {
	if isText(b) {
		c.text(from, string(b), depth)
	}
}

// base64Body records a body its event says is base64-encoded: decoded even
// when short or when it is not text, the flag being proof enough.
func (c *collector) base64Body(from []Step, s string, depth int) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || depth >= maxDepth {
		c.text(from, s, depth)
		return
	}
	c.add(from, s, false)
	c.bytes(step(from, field(markBase64)), b, depth+1)
}

// isJSONText reports whether s looks like a JSON object or array and is
// valid JSON: a JSON scalar in a string ("12", "true") is the string itself.
func isJSONText(s string) bool {
	t := strings.TrimLeft(s, " \t\r\n")
	return t != "" && (t[0] == '{' || t[0] == '[') && json.Valid([]byte(s))
}

// base64Text decodes s when it is standard base64 of at least minBase64
// bytes and decodes to text. Most words of that length decode to bytes that
// are not valid UTF-8: the guess rarely adds a string nobody sent.
func base64Text(s string) ([]byte, bool) {
	if len(s) < minBase64 || len(s)%4 != 0 || strings.ContainsAny(s, "\r\n") {
		return nil, false
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || !isText(b) {
		return nil, false
	}
	return b, true
}

// isText reports whether b is valid UTF-8 with no control characters but
// tab and line breaks: binary that happens to be valid UTF-8 ("\x00\x01*A")
// is not text a caller sent.
func isText(b []byte) bool {
	if len(b) == 0 || !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return true
}

// json parses b, valid JSON, keeping numbers as their literal text.
func (c *collector) json(from []Step, b []byte, depth int) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) == nil {
		c.jsonValue(from, v, depth)
	}
}

func (c *collector) jsonValue(from []Step, v any, depth int) {
	if c.stop(depth) {
		return
	}
	switch v := v.(type) {
	case string:
		c.text(from, v, depth)
	case json.Number:
		c.add(from, v.String(), false)
	case []any:
		for i, e := range v {
			c.jsonValue(step(from, index(i)), e, depth+1)
		}
	case map[string]any:
		b64 := false
		for k, e := range v {
			if strings.EqualFold(k, "isBase64Encoded") && e == true {
				b64 = true
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			e, at := v[k], step(from, key(k))
			c.add(at, k, true)
			if s, ok := e.(string); ok && b64 && strings.EqualFold(k, "body") {
				c.base64Body(at, s, depth+1)
				continue
			}
			if m, ok := e.(map[string]any); ok && isHeaderMap(k) {
				c.jsonHeaders(at, m, depth+1)
				continue
			}
			c.jsonValue(at, e, depth+1)
		}
	}
}

// jsonHeaders walks the headers of an API Gateway or ALB event: a map of
// names to a value, or to a list of values.
func (c *collector) jsonHeaders(from []Step, m map[string]any, depth int) {
	if c.stop(depth) {
		return
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if vocabulary(n) {
			continue
		}
		at := step(from, key(n))
		c.add(at, n, true)
		switch v := m[n].(type) {
		case string:
			c.header(at, n, v, depth+1)
		case []any:
			for i, e := range v {
				if s, ok := e.(string); ok {
					c.header(step(at, index(i)), n, s, depth+2)
				} else {
					c.jsonValue(step(at, index(i)), e, depth+2)
				}
			}
		default:
			c.jsonValue(at, v, depth+1)
		}
	}
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	contextType       = reflect.TypeFor[context.Context]()
	readerType        = reflect.TypeFor[io.Reader]()
	requestType       = reflect.TypeFor[http.Request]()
	headerType        = reflect.TypeFor[http.Header]()
	rawMessageType    = reflect.TypeFor[json.RawMessage]()
)

func marshals(t reflect.Type) bool {
	return t.Implements(marshalerType) || t.Implements(textMarshalerType)
}

// marshaled returns v's JSON when v's type marshals itself and its method
// can be called (v was not reached through an unexported field); nothing
// for a zero value, a field the event did not have (a zero time marshals to
// "0001-01-01T00:00:00Z", which nobody sent).
func marshaled(v reflect.Value) (b []byte, ok bool) {
	if !v.CanInterface() {
		return nil, false
	}
	var x any
	switch t := v.Type(); {
	case marshals(t):
		if t.Kind() == reflect.Pointer && v.IsNil() || t.Kind() == reflect.Interface {
			return nil, false // nothing, or walked as its dynamic value
		}
		x = v.Interface()
	case v.CanAddr() && marshals(reflect.PointerTo(t)):
		x = v.Addr().Interface()
	default:
		return nil, false
	}
	if v.IsZero() {
		return nil, true // a field the event did not have
	}
	defer func() {
		if recover() != nil {
			b, ok = nil, false
		}
	}()
	b, err := json.Marshal(x)
	return b, err == nil
}

// opaque reports whether the walk leaves a value of type t alone: it holds
// no request data, or holds it behind a lock of its own that the walk would
// race with (a reader's buffer, a connection's state, a context's values).
func opaque(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Uintptr,
		reflect.Complex64, reflect.Complex128, reflect.Invalid:
		return true
	case reflect.Interface:
		return false // walked as its dynamic value
	}
	if t.Implements(contextType) || t.Implements(readerType) {
		return true
	}
	if t.Kind() != reflect.Struct {
		return false
	}
	switch t.PkgPath() {
	case "sync", "sync/atomic", "context", "reflect", "runtime", "os", "net", "crypto/tls",
		"io", "bufio", "time", "database/sql", "log", "log/slog":
		return true
	case "net/http":
		return t != requestType && t.Name() != "Cookie"
	}
	return false
}

// value walks a typed event's value.
func (c *collector) value(from []Step, v reflect.Value, depth int) {
	if !v.IsValid() || c.stop(depth) {
		return
	}
	if b, ok := marshaled(v); ok {
		if len(b) > 0 && json.Valid(b) {
			c.json(from, b, depth)
		}
		return
	}
	t := v.Type()
	if opaque(t) {
		return
	}
	switch v.Kind() {
	case reflect.String:
		c.text(from, v.String(), depth)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n := v.Int(); n != 0 {
			c.add(from, strconv.FormatInt(n, 10), false)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n := v.Uint(); n != 0 {
			c.add(from, strconv.FormatUint(n, 10), false)
		}
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); f != 0 {
			c.add(from, jsonFloat(f, t.Bits()), false)
		}
	case reflect.Pointer:
		if v.IsNil() || c.walked(v, 0) {
			return
		}
		if t.Elem() == requestType {
			if v.CanInterface() {
				c.request(from, v.Interface().(*http.Request), depth+1)
			}
			return
		}
		c.value(from, v.Elem(), depth+1)
	case reflect.Interface:
		if !v.IsNil() {
			c.value(from, v.Elem(), depth+1)
		}
	case reflect.Struct:
		if t == requestType {
			if v.CanAddr() && v.CanInterface() {
				c.request(from, v.Addr().Interface().(*http.Request), depth+1)
			}
			return
		}
		c.structFields(from, v, depth)
	case reflect.Map:
		if v.IsNil() || c.walked(v, 0) {
			return
		}
		c.mapEntries(from, v, t == headerType, depth)
	case reflect.Slice:
		if v.IsNil() || c.walked(v, v.Len()) {
			return
		}
		if t.Elem().Kind() == reflect.Uint8 {
			c.byteSlice(from, t, v.Bytes(), depth)
			return
		}
		c.elems(from, v, depth)
	case reflect.Array:
		c.elems(from, v, depth)
	}
}

// walked reports whether the pointer, map or slice v was walked already,
// and marks it walked.
func (c *collector) walked(v reflect.Value, n int) bool {
	k := visit{p: uintptr(v.UnsafePointer()), t: v.Type(), len: n}
	if c.seen[k] {
		return true
	}
	c.seen[k] = true
	return false
}

func (c *collector) elems(from []Step, v reflect.Value, depth int) {
	for i := range v.Len() {
		if c.full {
			return
		}
		c.value(step(from, index(i)), v.Index(i), depth+1)
	}
}

// byteSlice records a []byte value: its base64 form (json.Marshal's, and so
// a response's), and its text, parsed when it is JSON. A json.RawMessage
// met here (behind an unexported field, where its MarshalJSON cannot be
// called) is JSON in its event, and parsed as such.
func (c *collector) byteSlice(from []Step, t reflect.Type, b []byte, depth int) {
	if len(b) == 0 {
		return
	}
	if t == rawMessageType && len(b) <= maxBody && json.Valid(b) {
		c.json(from, b, depth)
		return
	}
	if len(b) <= maxBody {
		c.add(from, base64.StdEncoding.EncodeToString(b), false)
	}
	c.bytes(from, b, depth)
}

func (c *collector) structFields(from []Step, v reflect.Value, depth int) {
	t := v.Type()
	b64 := false
	for i := range t.NumField() {
		if f := t.Field(i); strings.EqualFold(f.Name, "IsBase64Encoded") && f.Type.Kind() == reflect.Bool && v.Field(i).Bool() {
			b64 = true
		}
	}
	for i := range t.NumField() {
		if c.full {
			return
		}
		f, fv := t.Field(i), v.Field(i)
		at := step(from, field(f.Name))
		switch {
		case b64 && strings.EqualFold(f.Name, "Body") && fv.Kind() == reflect.String:
			c.base64Body(at, fv.String(), depth+1)
		case isHeaderMap(f.Name) && fv.Kind() == reflect.Map && fv.Type().Key().Kind() == reflect.String:
			if !fv.IsNil() && !c.walked(fv, 0) {
				c.mapEntries(at, fv, true, depth+1)
			}
		default:
			c.value(at, fv, depth+1)
		}
	}
}

// mapEntries walks a map in the order of its keys, so that the same event
// always names its strings the same way.
func (c *collector) mapEntries(from []Step, v reflect.Value, headers bool, depth int) {
	type entry struct {
		text string
		k, v reflect.Value
	}
	var entries []entry
	for it := v.MapRange(); it.Next(); {
		entries = append(entries, entry{keyText(it.Key()), it.Key(), it.Value()})
		if len(entries) >= maxStrings {
			break // more than could be collected anyway
		}
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].text < entries[j].text })
	for _, e := range entries {
		if c.full {
			return
		}
		if headers && vocabulary(e.text) {
			continue
		}
		at := step(from, key(e.text))
		if simpleKey(e.k) {
			c.add(at, e.text, true)
		} else {
			c.value(step(at, field("(key)")), e.k, depth+1) // a struct key's strings are data
		}
		if headers {
			c.headerValues(at, e.text, e.v, depth+1)
			continue
		}
		c.value(at, e.v, depth+1)
	}
}

// headerValues walks one entry of a header map: a value or a list of them.
func (c *collector) headerValues(from []Step, name string, v reflect.Value, depth int) {
	for v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	switch {
	case v.Kind() == reflect.String:
		c.header(from, name, v.String(), depth)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		for i := range v.Len() {
			c.header(step(from, index(i)), name, v.Index(i).String(), depth+1)
		}
	default:
		c.value(from, v, depth)
	}
}

// simpleKey reports whether k is a key JSON would write as it is: a string
// or a number, or a type that marshals itself to text.
func simpleKey(k reflect.Value) bool {
	switch k.Kind() {
	case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return k.CanInterface() && k.Type().Implements(textMarshalerType)
}

// keyText renders a map key as JSON would, or with fmt when JSON could not.
func keyText(k reflect.Value) (s string) {
	switch k.Kind() {
	case reflect.String:
		return k.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(k.Uint(), 10)
	}
	defer func() {
		if recover() != nil {
			s = k.Type().String()
		}
	}()
	if k.CanInterface() {
		if m, ok := k.Interface().(encoding.TextMarshaler); ok {
			if b, err := m.MarshalText(); err == nil {
				return string(b)
			}
		}
	}
	return fmt.Sprint(k)
}

// jsonFloat formats f as encoding/json does, so that a typed event's float
// is the same string as the number in its payload.
func jsonFloat(f float64, bits int) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return ""
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (bits == 64 && (a < 1e-6 || a >= 1e21) || bits == 32 && (float32(a) < 1e-6 || float32(a) >= 1e21)) {
		format = 'e'
	}
	s := strconv.FormatFloat(f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		if n := len(s); n >= 4 && s[n-4] == 'e' && s[n-3] == '-' && s[n-2] == '0' {
			s = s[:n-2] + s[n-1:]
		}
	}
	return s
}
