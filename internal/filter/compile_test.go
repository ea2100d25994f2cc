package filter

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/apperr"
)

// nest wraps inner in n objects {"a": …}.
func nest(n int, inner string) string {
	return strings.Repeat(`{"a":`, n) + inner + strings.Repeat(`}`, n)
}

// ops is a filter with n operators: an $and of n-1 {"a":{"$gt":1}}.
func ops(n int) string {
	return `{"$and":[` + strings.TrimSuffix(strings.Repeat(`{"a":{"$gt":1}},`, n-1), ",") + `]}`
}

// inList is a $in with n items.
func inList(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	return `{"data":{"x":{"$in":[` + strings.Join(items, ",") + `]}}}`
}

// sized is a valid filter of exactly n bytes.
func sized(n int) string {
	const shell = `{"type":""}`
	return `{"type":"` + strings.Repeat("a", n-len(shell)) + `"}`
}

func regex(n int) string {
	return `{"data":{"x":{"$regex":"` + strings.Repeat("é", n) + `"}}}`
}

func TestCompileLimits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		filter string
		ptr    string // "-" when it compiles
	}{
		{"16 KiB", sized(MaxBytes), "-"},
		{"16 KiB + 1", sized(MaxBytes + 1), ""},
		{"depth 8", nest(7, `{"$gt":1}`), "-"},
		{"depth 9", nest(8, `{"$gt":1}`), "/a/a/a/a/a/a/a/a"},
		{"depth 8 with an array", nest(7, `[1]`), "-"},
		{"depth 9 by an array", nest(8, `[1]`), "/a/a/a/a/a/a/a/a"},
		{"depth 9 in a literal", nest(6, `{"$eq":{"b":{"c":1}}}`), "/a/a/a/a/a/a/$eq/b"},
		{"64 operators", ops(64), "-"},
		{"65 operators", ops(65), "/$and/63/a/$gt"},
		{"literal keys are not operators", `{"$and":[` + strings.Repeat(`{"a":{"$eq":{"$x":1,"$y":2}}},`, 40) + `{}]}`, "-"},
		{"256 items", inList(256), "-"},
		{"257 items", inList(257), "/data/x/$in"},
		{"257 items nin", strings.Replace(inList(257), "$in", "$nin", 1), "/data/x/$nin"},
		{"regex 256 characters", regex(256), "-"},
		{"regex 257 characters", regex(257), "/data/x/$regex"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkCompile(t, tc.filter, tc.ptr, "")
		})
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		filter string
		ptr    string
		msg    string // a part of the message
	}{
		{"not JSON", `{"a":`, "/a", "not valid JSON"},
		{"trailing data", `{} {}`, "", "not valid JSON"},
		{"trailing comma", `{"a":1,}`, "", "not valid JSON"},
		{"null", `null`, "", "must be a JSON object"},
		{"array", `[{}]`, "", "must be a JSON object"},
		{"string", `"x"`, "", "must be a JSON object"},
		{"empty input", ``, "", "not valid JSON"},
		{"duplicate key", `{"data":{"a":1,"a":2}}`, "/data/a", "duplicate"},
		{"unknown operator", `{"data":{"amount":{"$gt":1,"$foo":2}}}`, "/data/amount/$foo", "not a known operator"},
		{"unknown top operator", `{"$nor":[{}]}`, "/$nor", "not a known operator"},
		{"lone dollar", `{"data":{"x":{"$":1}}}`, "/data/x/$", "not a known operator"},
		{"mixed", `{"data":{"amount":{"$gt":1,"currency":"EUR"}}}`, "/data/amount", "mixes"},
		{"mixed fields first", `{"data":{"amount":{"currency":"EUR","$lt":1}}}`, "/data/amount", "mixes"},
		{"operator at top", `{"type":"x","$eq":"y"}`, "/$eq", "applied to a field"},
		{"operator in top $or", `{"$or":[{"$gt":1}]}`, "/$or/0/$gt", "applied to a field"},
		{"operator in top $not", `{"$not":{"$exist":true}}`, "/$not/$exist", "applied to a field"},
		{"$and not array", `{"$and":{"type":"x"}}`, "/$and", "non-empty array"},
		{"$and empty", `{"$and":[]}`, "/$and", "non-empty array"},
		{"$or item not object", `{"$or":[{"type":"x"},"y"]}`, "/$or/1", "must be an object"},
		{"field $or item not object", `{"data":{"x":{"$or":[1]}}}`, "/data/x/$or/0", "must be an object"},
		{"$not not object", `{"$not":[{"type":"x"}]}`, "/$not", "must be an object"},
		{"field $not not object", `{"data":{"x":{"$not":1}}}`, "/data/x/$not", "must be an object"},
		{"$exist not bool", `{"data":{"x":{"$exist":"yes"}}}`, "/data/x/$exist", "true or false"},
		{"$in not array", `{"data":{"x":{"$in":"a"}}}`, "/data/x/$in", "must be an array"},
		{"$nin not array", `{"data":{"x":{"$nin":{"a":1}}}}`, "/data/x/$nin", "must be an array"},
		{"$gt bool", `{"data":{"x":{"$gt":true}}}`, "/data/x/$gt", "number or a string"},
		{"$lte array", `{"data":{"x":{"$lte":[1]}}}`, "/data/x/$lte", "number or a string"},
		{"$startsWith number", `{"data":{"x":{"$startsWith":1}}}`, "/data/x/$startsWith", "must be a string"},
		{"$endsWith null", `{"data":{"x":{"$endsWith":null}}}`, "/data/x/$endsWith", "must be a string"},
		{"$regex number", `{"data":{"x":{"$regex":1}}}`, "/data/x/$regex", "must be a string"},
		{"$regex syntax", `{"data":{"x":{"$regex":"a(b"}}}`, "/data/x/$regex", "missing closing )"},
		{"$regex backreference", `{"data":{"x":{"$regex":"(a)\\1"}}}`, "/data/x/$regex", "invalid escape sequence"},
		{"$regex lookahead", `{"data":{"x":{"$regex":"a(?=b)"}}}`, "/data/x/$regex", "RE2"},
		{"$regex nested repeats", `{"data":{"x":{"$regex":"((((a{1,10}){1,10}){1,10}){1,10})"}}}`, "/data/x/$regex", "invalid repeat count"},
		{"$regex huge repeat", `{"data":{"x":{"$regex":"\\pL{1000}\\pL{1000}\\pL{1000}\\pL{1000}\\pL{1000}"}}}`, "/data/x/$regex", "too complex"},
		{"escaped pointer", `{"data":{"a/b~c":{"$gt":{}}}}`, "/data/a~1b~0c/$gt", "number or a string"},
		{"error inside $and", `{"$and":[{"type":"x"},{"data":{"n":{"$exist":1}}}]}`, "/$and/1/data/n/$exist", "true or false"},
		{"error inside field $not", `{"data":{"n":{"$not":{"$in":1}}}}`, "/data/n/$not/$in", "must be an array"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkCompile(t, tc.filter, tc.ptr, tc.msg)
		})
	}
}

// checkCompile asserts that raw compiles (ptr "-") or fails at exactly ptr
// with a message containing msg.
func checkCompile(t *testing.T, raw, ptr, msg string) {
	t.Helper()
	f, err := Compile([]byte(raw))
	if ptr == "-" {
		if err != nil {
			t.Fatalf("Compile: %v", err)
		}
		f.Match(testDoc(t, payload))
		return
	}
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("Compile = %v, %v; want an *Error at %q", f, err, ptr)
	}
	if fe.Pointer() != ptr || !strings.Contains(fe.Message(), msg) {
		t.Fatalf("Compile error at %q: %q; want %q containing %q", fe.Pointer(), fe.Message(), ptr, msg)
	}
}

func TestToInvalid(t *testing.T) {
	t.Parallel()
	_, err := Compile([]byte(`{"data":{"amount":{"$gt":true}}}`))
	got := ToInvalid(err, "body.filter")
	ae, ok := apperr.As(got)
	if !ok || ae.Kind != apperr.KindInvalid || ae.Field != "body.filter/data/amount/$gt" || ae.Msg != "must be a number or a string" {
		t.Fatalf("ToInvalid = %#v", got)
	}
	if want := "filter /data/amount/$gt: must be a number or a string"; err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
	_, err = Compile([]byte(`[]`))
	if ae, _ := apperr.As(ToInvalid(err, "body.filter")); ae == nil || ae.Field != "body.filter" {
		t.Fatalf("root error field = %#v", ae)
	}
	// A % in a key reaches the message verbatim, not as a format verb.
	_, err = Compile([]byte(`{"data":{"%d":{"$gt":1,"x":1}}}`))
	if ae, _ := apperr.As(ToInvalid(err, "p")); ae == nil || ae.Field != "p/data/%d" || strings.Contains(ae.Msg, "%!") {
		t.Fatalf("ToInvalid = %#v", ae)
	}
	other := errors.New("boom")
	if ToInvalid(other, "body.filter") != other || ToInvalid(nil, "x") != nil {
		t.Fatal("ToInvalid changed a non-filter error")
	}
}
