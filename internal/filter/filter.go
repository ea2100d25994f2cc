package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// Limits of a filter (DESIGN §9.2).
const (
	MaxBytes     = 16 << 10 // raw filter size
	MaxDepth     = 8        // nesting of objects and arrays; the top-level object is 1
	MaxOperators = 64       // "$" keys in all, logical operators included
	MaxListItems = 256      // items in one $in / $nin
	MaxRegex     = 256      // characters in one $regex
)

// Filter is a compiled filter. It is immutable and safe for concurrent use.
// A nil *Filter (no filter) matches every document.
type Filter struct {
	root *node
	// weight bounds the work one document node can cost (see state.steps):
	// the compiled nodes plus the sizes of their literal operands.
	weight int
}

// Document is what a filter is matched against. Data is a decoded JSON
// value (DecodeData's output; map[string]any, []any, string, json.Number or
// float64, bool, nil); other Go types equal nothing. Nil Channels are an
// empty array; nil Data is null. A filter that looks up "type" or
// "channels" boxes that field once per match (one small allocation);
// everything else allocates nothing.
type Document struct {
	Type     string
	Channels []string
	Data     any
}

// Compile validates raw against the grammar and limits and compiles it once,
// so matching parses nothing. A bad filter returns an *Error.
func Compile(raw []byte) (*Filter, error) {
	if len(raw) > MaxBytes {
		return nil, errAt("", "must be at most %d bytes", MaxBytes)
	}
	j, err := parseJSON(raw)
	if err != nil {
		return nil, err
	}
	if j.kind != jObject {
		return nil, errAt("", "must be a JSON object")
	}
	var c compiler
	root, err := c.object(j, "", true)
	if err != nil {
		return nil, err
	}
	return &Filter{root: root, weight: c.weight}, nil
}

// Match reports whether doc satisfies the filter.
func (f *Filter) Match(doc Document) bool {
	if f == nil {
		return true
	}
	var st state
	return f.eval(&doc, &st) == nil
}

// Explain is Match plus, on false, the JSON pointer (into the filter) of the
// first condition that failed, in written order, e.g. "/data/amount/$gt". A
// failed $or or $not is reported at its own pointer; a nested object that no
// element of an array satisfied, at the first element's failure (at the
// object itself when the array is empty).
func (f *Filter) Explain(doc Document) (bool, string) {
	if f == nil {
		return true, ""
	}
	var st state
	if failed := f.eval(&doc, &st); failed != nil {
		return false, failed.ptr
	}
	return true, ""
}

// DecodeData decodes an event payload for matching, keeping numbers exact
// (json.Number).
func DecodeData(payload []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("filter: payload has data after its JSON value")
	}
	return v, nil
}
