package filter

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// workBound is the most work units one evaluation may take: each compiled
// node visits each document node at most about once, and each visit costs
// at most its literal operand's size per array element (see state).
func workBound(f *Filter, doc Document) int {
	return 6 * f.weight * (docSize(doc) + 1)
}

func docSize(doc Document) int {
	return 3 + len(doc.Channels) + valueSize(doc.Data)
}

func valueSize(v any) int {
	n := 1
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			n += valueSize(e)
		}
	case map[string]any:
		for _, e := range x {
			n += valueSize(e)
		}
	}
	return n
}

// bigDoc has 1,000-element arrays of objects, strings and numbers.
func bigDoc(t testing.TB) Document {
	var items, tags, nums []string
	for i := range 1000 {
		items = append(items, fmt.Sprintf(`{"sku":"S%d","qty":%d,"tags":["t%d","x"],"n":{"m":null}}`, i, i, i%7))
		tags = append(tags, strconv.Quote(fmt.Sprintf("tag-%d", i)))
		nums = append(nums, fmt.Sprintf("%d.5", i))
	}
	data := `{"items":[` + strings.Join(items, ",") + `],"tags":[` + strings.Join(tags, ",") +
		`],"nums":[` + strings.Join(nums, ",") + `],"nested":[[` + strings.Join(nums, ",") + `]]}`
	d := testDoc(t, data)
	d.Channels = []string{"a", "b", "c", "d", "e"}
	return d
}

// pointerResolves reports whether ptr names a node of the JSON text raw.
func pointerResolves(raw []byte, ptr string) bool {
	v, err := DecodeData(raw) // json.Number: 1e400 is a valid filter literal
	if err != nil {
		return false
	}
	if ptr == "" {
		return true
	}
	if !strings.HasPrefix(ptr, "/") {
		return false
	}
	for _, seg := range strings.Split(ptr[1:], "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			e, ok := x[seg]
			if !ok {
				return false
			}
			v = e
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return false
			}
			v = x[i]
		default:
			return false
		}
	}
	return true
}

// FuzzFilter compiles arbitrary bytes and matches what compiles against
// fixed documents and one decoded from the second input: no panics, a
// pointer that names the bad node, Match == Explain, and work linear in
// the document.
func FuzzFilter(f *testing.F) {
	f.Add([]byte(typicalFilter), []byte(payload))
	f.Add([]byte(`{"data":{"items":{"sku":{"$in":["S1","S999"]},"tags":"x"}}}`), []byte(`{}`))
	docs := []Document{testDoc(f, payload), bigDoc(f), {}, {Type: "t", Data: "s"}}
	f.Fuzz(func(t *testing.T, raw, data []byte) {
		flt, err := Compile(raw)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Compile error %T is not an *Error: %v", err, err)
			}
			ptr := fe.Pointer()
			if ptr != "" && !strings.HasPrefix(ptr, "/") || fe.Message() == "" {
				t.Fatalf("bad error %q: %q", ptr, fe.Message())
			}
			if json.Valid(raw) && len(raw) <= MaxBytes && !pointerResolves(raw, ptr) {
				t.Fatalf("error pointer %q names no node of %s", ptr, raw)
			}
			return
		}
		if !json.Valid(raw) || len(raw) > MaxBytes {
			t.Fatalf("Compile accepted %q", raw)
		}
		all := docs
		if d, err := DecodeData(data); err == nil {
			all = append(all[:len(all):len(all)], Document{Type: "order.created", Channels: []string{"eu"}, Data: d})
		}
		for _, doc := range all {
			var st state
			failed := flt.eval(&doc, &st)
			if bound := workBound(flt, doc); st.steps > bound {
				t.Fatalf("%d work units on a %d-node document, bound %d: %s", st.steps, docSize(doc), bound, raw)
			}
			ok, ptr := flt.Explain(doc)
			if ok != (failed == nil) || flt.Match(doc) != ok {
				t.Fatalf("Match, Explain and eval disagree on %s", raw)
			}
			if !ok && !pointerResolves(raw, ptr) {
				t.Fatalf("Explain pointer %q names no node of %s", ptr, raw)
			}
		}
	})
}

// TestLinearWork matches heavy filters against 1,000-element arrays and
// checks the work stays within workBound.
func TestLinearWork(t *testing.T) {
	t.Parallel()
	doc := bigDoc(t)
	var in []string
	for i := range MaxListItems {
		in = append(in, strconv.Quote(fmt.Sprintf("S%d", 5000+i)))
	}
	var nums []string
	for i := range MaxListItems {
		nums = append(nums, strconv.Itoa(5000+i))
	}
	filters := []string{
		`{"data":{"items":{"sku":{"$in":[` + strings.Join(in, ",") + `]}}}}`,
		`{"data":{"items":{"qty":{"$in":[` + strings.Join(nums, ",") + `]}}}}`,
		`{"data":{"nums":{"$nin":[` + strings.Join(nums, ",") + `]}}}`,
		`{"data":{"items":{"$or":[{"sku":"none"},{"tags":{"$regex":"^q"}},{"n":{"m":{"$neq":null}}}]}}}`,
		`{"data":{"items":{"$not":{"tags":{"$contains":"y"},"qty":{"$lt":0}}},"nested":{"$eq":[[1]]}}}`,
		`{"$or":[` + strings.TrimSuffix(strings.Repeat(`{"data":{"items":{"n":{"m":1}}}},`, 60), ",") + `]}`,
	}
	for _, raw := range filters {
		f := mustCompile(t, raw)
		var st state
		f.eval(&doc, &st)
		if bound := workBound(f, doc); st.steps > bound {
			t.Errorf("%d work units, bound %d: %.80s", st.steps, bound, raw)
		}
		t.Logf("%d work units on %d nodes: %.60s", st.steps, docSize(doc), raw)
	}
}
