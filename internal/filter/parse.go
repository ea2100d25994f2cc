package filter

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
)

// jkind is the kind of a parsed JSON value.
type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

// jval is a parsed filter node. Objects keep their members in written order
// so that evaluation, and Explain's "first failing condition", follow the
// filter as written rather than Go's map order.
type jval struct {
	kind jkind
	b    bool
	s    string   // string value, or number literal
	keys []string // object member names
	vals []*jval  // object member values, or array items
}

// parseJSON parses one JSON value, enforcing MaxDepth and rejecting
// duplicate keys, with errors at the pointer being read.
func parseJSON(raw []byte) (*jval, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := parseValue(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errAt("", "is not valid JSON: data after the filter object")
	}
	return v, nil
}

func parseValue(dec *json.Decoder, ptr string, depth int) (*jval, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, errAt(ptr, "is not valid JSON")
	}
	switch t := tok.(type) {
	case nil:
		return &jval{kind: jNull}, nil
	case bool:
		return &jval{kind: jBool, b: t}, nil
	case json.Number:
		return &jval{kind: jNumber, s: string(t)}, nil
	case string:
		return &jval{kind: jString, s: t}, nil
	case json.Delim:
		if t != '{' && t != '[' {
			return nil, errAt(ptr, "is not valid JSON")
		}
		if depth+1 > MaxDepth {
			return nil, errAt(ptr, "nests deeper than %d levels", MaxDepth)
		}
		if t == '[' {
			return parseArray(dec, ptr, depth+1)
		}
		return parseObject(dec, ptr, depth+1)
	}
	return nil, errAt(ptr, "is not valid JSON")
}

func parseArray(dec *json.Decoder, ptr string, depth int) (*jval, error) {
	v := &jval{kind: jArray}
	for dec.More() {
		item, err := parseValue(dec, child(ptr, strconv.Itoa(len(v.vals))), depth)
		if err != nil {
			return nil, err
		}
		v.vals = append(v.vals, item)
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return nil, errAt(ptr, "is not valid JSON")
	}
	return v, nil
}

func parseObject(dec *json.Decoder, ptr string, depth int) (*jval, error) {
	v := &jval{kind: jObject}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			return nil, errAt(ptr, "is not valid JSON")
		}
		kp := child(ptr, key)
		if seen[key] {
			return nil, errAt(kp, "is a duplicate key")
		}
		seen[key] = true
		val, err := parseValue(dec, kp, depth)
		if err != nil {
			return nil, err
		}
		v.keys = append(v.keys, key)
		v.vals = append(v.vals, val)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, errAt(ptr, "is not valid JSON")
	}
	return v, nil
}
