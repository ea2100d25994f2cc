package filter

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// testDoc is the document most cases match against: type order.created,
// channels [eu vip] and the given payload.
func testDoc(t testing.TB, data string) Document {
	t.Helper()
	d, err := DecodeData([]byte(data))
	if err != nil {
		t.Fatalf("payload %s: %v", data, err)
	}
	return Document{Type: "order.created", Channels: []string{"eu", "vip"}, Data: d}
}

func mustCompile(t testing.TB, raw string) *Filter {
	t.Helper()
	f, err := Compile([]byte(raw))
	if err != nil {
		t.Fatalf("Compile(%s): %v", raw, err)
	}
	return f
}

const payload = `{
	"amount": 150, "price": 9.5, "zero": 0, "big": 9007199254740993,
	"name": "Alice Smith", "status": "paid", "nothing": null, "flag": true,
	"tags": ["a", "b", "vip"], "nums": [1, 5, 10], "mixed": [1, "x", null, [2]],
	"empty": [], "pair": [1, 2],
	"customer": {"tier": "gold", "address": {"country": "FR"}},
	"items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}],
	"a/b~c": 1
}`

func TestMatch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		filter string
		want   bool
	}{
		// Empty filters and the document's top level.
		{"empty filter", `{}`, true},
		{"type eq", `{"type":"order.created"}`, true},
		{"type neq", `{"type":"order.paid"}`, false},
		{"type prefix", `{"type":{"$startsWith":"order."}}`, true},
		{"type in", `{"type":{"$in":["a","order.created"]}}`, true},
		{"channel contained", `{"channels":"vip"}`, true},
		{"channel not contained", `{"channels":"us"}`, false},
		{"channels deep equal", `{"channels":["eu","vip"]}`, true},
		{"channels deep equal order", `{"channels":["vip","eu"]}`, false},
		{"channels contains", `{"channels":{"$contains":"eu"}}`, true},
		{"channels nin", `{"channels":{"$nin":["us","cn"]}}`, true},
		{"channels nin hit", `{"channels":{"$nin":["us","eu"]}}`, false},
		{"unknown top field missing", `{"source":"x"}`, false},
		{"unknown top field neq", `{"source":{"$neq":"x"}}`, true},
		{"empty nested filter", `{"data":{}}`, true},

		// Equality: implicit and $eq, numbers by value.
		{"implicit int", `{"data":{"amount":150}}`, true},
		{"implicit int as float", `{"data":{"amount":150.0}}`, true},
		{"implicit int as exponent", `{"data":{"amount":1.5e2}}`, true},
		{"implicit wrong", `{"data":{"amount":151}}`, false},
		{"string is not number", `{"data":{"amount":"150"}}`, false},
		{"float eq", `{"data":{"price":{"$eq":9.50}}}`, true},
		{"zero eq negative zero", `{"data":{"zero":-0.0}}`, true},
		{"big int exact", `{"data":{"big":9007199254740993}}`, true},
		{"big int off by one", `{"data":{"big":9007199254740992}}`, false},
		{"bool eq", `{"data":{"flag":true}}`, true},
		{"bool is not 1", `{"data":{"flag":1}}`, false},
		{"eq missing", `{"data":{"absent":{"$eq":1}}}`, false},
		{"scalar in array", `{"data":{"tags":"vip"}}`, true},
		{"scalar not in array", `{"data":{"tags":"x"}}`, false},
		{"eq scalar in array", `{"data":{"nums":{"$eq":5}}}`, true},
		{"array deep equal", `{"data":{"tags":["a","b","vip"]}}`, true},
		{"array subset is not equal", `{"data":{"tags":["a","b"]}}`, false},
		{"array does not match nested element", `{"data":{"mixed":2}}`, false},
		{"array equals nested array only by $eq of whole", `{"data":{"mixed":[2]}}`, false},
		{"empty array equal", `{"data":{"empty":[]}}`, true},
		{"eq object literal", `{"data":{"customer":{"$eq":{"tier":"gold","address":{"country":"FR"}}}}}`, true},
		{"eq object literal differs", `{"data":{"customer":{"$eq":{"tier":"gold"}}}}`, false},
		{"eq object in array", `{"data":{"items":{"$eq":{"sku":"A","qty":1}}}}`, true},

		// Null is a value, missing is not.
		{"null eq", `{"data":{"nothing":null}}`, true},
		{"null eq missing", `{"data":{"absent":null}}`, false},
		{"null neq null", `{"data":{"nothing":{"$neq":null}}}`, false},
		{"null neq value", `{"data":{"nothing":{"$neq":1}}}`, true},
		{"missing neq null", `{"data":{"absent":{"$neq":null}}}`, true},
		{"null in", `{"data":{"nothing":{"$in":[1,null]}}}`, true},
		{"null nin", `{"data":{"nothing":{"$nin":[null]}}}`, false},
		{"null gt", `{"data":{"nothing":{"$gt":0}}}`, false},
		{"null lt", `{"data":{"nothing":{"$lt":0}}}`, false},
		{"null exists", `{"data":{"nothing":{"$exist":true}}}`, true},
		{"null in mixed array", `{"data":{"mixed":null}}`, true},
		{"null startsWith", `{"data":{"nothing":{"$startsWith":""}}}`, false},

		// $neq and $nin are the negations of $eq and $in.
		{"neq", `{"data":{"status":{"$neq":"open"}}}`, true},
		{"neq same", `{"data":{"status":{"$neq":"paid"}}}`, false},
		{"neq missing", `{"data":{"absent":{"$neq":"paid"}}}`, true},
		{"neq array containing", `{"data":{"tags":{"$neq":"a"}}}`, false},
		{"neq array not containing", `{"data":{"tags":{"$neq":"z"}}}`, true},
		{"neq number by value", `{"data":{"amount":{"$neq":1.5e2}}}`, false},

		// $in / $nin.
		{"in", `{"data":{"status":{"$in":["open","paid"]}}}`, true},
		{"in miss", `{"data":{"status":{"$in":["open"]}}}`, false},
		{"in empty", `{"data":{"status":{"$in":[]}}}`, false},
		{"in missing", `{"data":{"absent":{"$in":[null]}}}`, false},
		{"in array any", `{"data":{"tags":{"$in":["z","vip"]}}}`, true},
		{"in array item deep equal", `{"data":{"pair":{"$in":[[1,2]]}}}`, true},
		{"in number by value", `{"data":{"amount":{"$in":[1,150.00]}}}`, true},
		{"in long string list", `{"data":{"status":{"$in":["a","b","c","d","e","f","g","h","paid"]}}}`, true},
		{"in long string list miss", `{"data":{"status":{"$in":["a","b","c","d","e","f","g","h",1]}}}`, false},
		{"in long list number", `{"data":{"amount":{"$in":["a","b","c","d","e","f","g","h",150]}}}`, true},
		{"in long list array field", `{"data":{"tags":{"$in":["q","r","s","t","u","v","w","x","vip"]}}}`, true},
		{"in long number list", `{"data":{"amount":{"$in":[1,2,3,4,5,6,7,8,1.5e2]}}}`, true},
		{"in long number list miss", `{"data":{"amount":{"$in":[1,2,3,4,5,6,7,8,150.01,"150"]}}}`, false},
		{"in long number list array field", `{"data":{"nums":{"$in":[11,12,13,14,15,16,17,18,1e1]}}}`, true},
		{"in long number list big", `{"data":{"big":{"$in":[1,2,3,4,5,6,7,8,9007199254740992]}}}`, false},
		{"nin long number list", `{"data":{"price":{"$nin":[1,2,3,4,5,6,7,8,9.50]}}}`, false},
		{"nin", `{"data":{"status":{"$nin":["open"]}}}`, true},
		{"nin hit", `{"data":{"status":{"$nin":["paid"]}}}`, false},
		{"nin missing", `{"data":{"absent":{"$nin":["paid"]}}}`, true},
		{"nin empty", `{"data":{"status":{"$nin":[]}}}`, true},
		{"nin array any", `{"data":{"tags":{"$nin":["vip"]}}}`, false},

		// Comparisons.
		{"gt", `{"data":{"amount":{"$gt":100}}}`, true},
		{"gt equal", `{"data":{"amount":{"$gt":150}}}`, false},
		{"gte equal", `{"data":{"amount":{"$gte":150.0}}}`, true},
		{"lt", `{"data":{"amount":{"$lt":150.5}}}`, true},
		{"lte", `{"data":{"amount":{"$lte":149.999}}}`, false},
		{"range", `{"data":{"amount":{"$gt":100,"$lt":200}}}`, true},
		{"range out", `{"data":{"amount":{"$gt":100,"$lt":120}}}`, false},
		{"float vs int", `{"data":{"price":{"$gt":9}}}`, true},
		{"negative", `{"data":{"zero":{"$gt":-1e-300}}}`, true},
		{"big int gt", `{"data":{"big":{"$gt":9007199254740992}}}`, true},
		{"huge exponent", `{"data":{"amount":{"$lt":1e400}}}`, true},
		{"tiny exponent", `{"data":{"zero":{"$lt":1e-400}}}`, true},
		{"gt missing", `{"data":{"absent":{"$gt":0}}}`, false},
		{"lt missing", `{"data":{"absent":{"$lt":0}}}`, false},
		{"string gt", `{"data":{"name":{"$gt":"Alice"}}}`, true},
		{"string lt", `{"data":{"name":{"$lt":"Bob"}}}`, true},
		{"string lt fails", `{"data":{"name":{"$lt":"Aa"}}}`, false},
		{"number vs string", `{"data":{"amount":{"$gt":"1"}}}`, false},
		{"string vs number", `{"data":{"name":{"$gt":1}}}`, false},
		{"bool not ordered", `{"data":{"flag":{"$gte":0}}}`, false},
		{"gt array any", `{"data":{"nums":{"$gt":9}}}`, true},
		{"gt array none", `{"data":{"nums":{"$gt":10}}}`, false},
		{"gt and lt on different elements", `{"data":{"nums":{"$gt":6,"$lt":4}}}`, true},
		{"gt empty array", `{"data":{"empty":{"$gt":0}}}`, false},
		{"gt object", `{"data":{"customer":{"$gt":0}}}`, false},

		// Strings.
		{"startsWith", `{"data":{"name":{"$startsWith":"Ali"}}}`, true},
		{"startsWith case", `{"data":{"name":{"$startsWith":"ali"}}}`, false},
		{"endsWith", `{"data":{"name":{"$endsWith":"Smith"}}}`, true},
		{"endsWith no", `{"data":{"name":{"$endsWith":"Jones"}}}`, false},
		{"startsWith array any", `{"data":{"tags":{"$startsWith":"vi"}}}`, true},
		{"endsWith array none", `{"data":{"tags":{"$endsWith":"z"}}}`, false},
		{"startsWith number", `{"data":{"amount":{"$startsWith":"1"}}}`, false},
		{"startsWith missing", `{"data":{"absent":{"$startsWith":""}}}`, false},

		// $contains.
		{"contains substring", `{"data":{"name":{"$contains":"ce Sm"}}}`, true},
		{"contains substring no", `{"data":{"name":{"$contains":"Bob"}}}`, false},
		{"contains array element", `{"data":{"tags":{"$contains":"vip"}}}`, true},
		{"contains array no", `{"data":{"tags":{"$contains":"vi"}}}`, false},
		{"contains number element", `{"data":{"nums":{"$contains":10.0}}}`, true},
		{"contains nested array element", `{"data":{"mixed":{"$contains":[2]}}}`, true},
		{"contains object element", `{"data":{"items":{"$contains":{"qty":2,"sku":"B"}}}}`, true},
		{"contains on number", `{"data":{"amount":{"$contains":"1"}}}`, false},
		{"contains number in string", `{"data":{"name":{"$contains":1}}}`, false},
		{"contains missing", `{"data":{"absent":{"$contains":"x"}}}`, false},

		// $exist.
		{"exist true", `{"data":{"amount":{"$exist":true}}}`, true},
		{"exist true missing", `{"data":{"absent":{"$exist":true}}}`, false},
		{"exist false", `{"data":{"absent":{"$exist":false}}}`, true},
		{"exist false present", `{"data":{"amount":{"$exist":false}}}`, false},
		{"exist below missing", `{"data":{"absent":{"deeper":{"$exist":false}}}}`, true},
		{"exist below scalar", `{"data":{"amount":{"deeper":{"$exist":true}}}}`, false},
		{"exist in array of objects", `{"data":{"items":{"qty":{"$exist":true}}}}`, true},

		// $regex.
		{"regex", `{"data":{"name":{"$regex":"^A\\w+ S"}}}`, true},
		{"regex no", `{"data":{"name":{"$regex":"^Smith"}}}`, false},
		{"regex flags", `{"data":{"name":{"$regex":"(?i)^alice"}}}`, true},
		{"regex array any", `{"data":{"tags":{"$regex":"^v.p$"}}}`, true},
		{"regex number", `{"data":{"amount":{"$regex":"1"}}}`, false},
		{"regex missing", `{"data":{"absent":{"$regex":""}}}`, false},
		{"regex channels", `{"channels":{"$regex":"^e"}}`, true},

		// Paths.
		{"path", `{"data":{"customer":{"tier":"gold"}}}`, true},
		{"path deep", `{"data":{"customer":{"address":{"country":"FR"}}}}`, true},
		{"path deep wrong", `{"data":{"customer":{"address":{"country":"DE"}}}}`, false},
		{"path missing parent", `{"data":{"nobody":{"tier":"gold"}}}`, false},
		{"path through scalar", `{"data":{"status":{"tier":"gold"}}}`, false},
		{"path escaped key", `{"data":{"a/b~c":1}}`, true},
		{"path array any element", `{"data":{"items":{"sku":"B"}}}`, true},
		{"path array same element", `{"data":{"items":{"sku":"B","qty":2}}}`, true},
		{"path array not same element", `{"data":{"items":{"sku":"A","qty":2}}}`, false},
		{"path array element op", `{"data":{"items":{"qty":{"$gt":1}}}}`, true},
		{"path empty array", `{"data":{"empty":{"x":{"$exist":false}}}}`, false},

		// Logical operators at the top level.
		{"and", `{"$and":[{"type":"order.created"},{"data":{"amount":150}}]}`, true},
		{"and one fails", `{"$and":[{"type":"order.created"},{"data":{"amount":1}}]}`, false},
		{"or", `{"$or":[{"type":"x"},{"data":{"status":"paid"}}]}`, true},
		{"or none", `{"$or":[{"type":"x"},{"data":{"status":"open"}}]}`, false},
		{"not", `{"$not":{"type":"x"}}`, true},
		{"not holds", `{"$not":{"type":"order.created"}}`, false},
		{"not empty", `{"$not":{}}`, false},
		{"fields and or", `{"type":"order.created","$or":[{"channels":"us"},{"channels":"eu"}]}`, true},
		{"nested logic", `{"$or":[{"$and":[{"type":"x"},{"channels":"eu"}]},{"$not":{"data":{"flag":false}}}]}`, true},

		// Logical operators inside a field.
		{"field not", `{"data":{"amount":{"$not":{"$gt":200}}}}`, true},
		{"field not holds", `{"data":{"amount":{"$not":{"$gt":100}}}}`, false},
		{"field not missing", `{"data":{"absent":{"$not":{"$gt":100}}}}`, true},
		{"field not array", `{"data":{"tags":{"$not":{"$in":["vip"]}}}}`, false},
		{"field not range", `{"data":{"amount":{"$not":{"$gt":100,"$lt":200}}}}`, false},
		{"field or", `{"data":{"amount":{"$or":[{"$lt":0},{"$gt":100}]}}}`, true},
		{"field or none", `{"data":{"amount":{"$or":[{"$lt":0},{"$gt":1000}]}}}`, false},
		{"field and", `{"data":{"amount":{"$and":[{"$gt":0},{"$lt":1000}]}}}`, true},
		{"field op and not", `{"data":{"amount":{"$gt":0,"$not":{"$eq":150}}}}`, false},
		{"nested or", `{"data":{"$or":[{"status":"open"},{"customer":{"tier":"gold"}}]}}`, true},
		{"nested not on object", `{"data":{"customer":{"$not":{"tier":"silver"}}}}`, true},
		{"nested not on array", `{"data":{"items":{"$not":{"sku":"C"}}}}`, true},
		{"nested not on array hit", `{"data":{"items":{"$not":{"sku":"A"}}}}`, false},
		{"fields beside logic", `{"data":{"customer":{"tier":"gold","$or":[{"address":{"country":"FR"}}]}}}`, true},
		{"element fields beside logic", `{"data":{"items":{"sku":"A","$not":{"qty":1}}}}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := mustCompile(t, tc.filter)
			doc := testDoc(t, payload)
			if got := f.Match(doc); got != tc.want {
				t.Fatalf("Match(%s) = %v, want %v", tc.filter, got, tc.want)
			}
			if got, ptr := f.Explain(doc); got != tc.want || got != (ptr == "") {
				t.Fatalf("Explain(%s) = %v, %q; want %v", tc.filter, got, ptr, tc.want)
			}
		})
	}
}

func TestMatchDocumentEdges(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		filter string
		doc    Document
		want   bool
	}{
		{"nil channels are an empty array", `{"channels":[]}`, Document{Type: "t"}, true},
		{"nil channels contain nothing", `{"channels":{"$exist":true,"$nin":["a"]}}`, Document{Type: "t"}, true},
		{"nil data is null", `{"data":null}`, Document{Type: "t"}, true},
		{"data scalar", `{"data":{"$gt":1}}`, Document{Type: "t", Data: json.Number("2")}, true},
		{"data array", `{"data":"x"}`, Document{Type: "t", Data: []any{"y", "x"}}, true},
		{"float64 data", `{"data":{"n":{"$gte":0.5,"$lt":1}}}`, Document{Type: "t", Data: map[string]any{"n": 0.5}}, true},
		{"float64 data eq", `{"data":{"n":3}}`, Document{Type: "t", Data: map[string]any{"n": 3.0}}, true},
		{"float64 data in number set", `{"data":{"n":{"$in":[1,2,3,4,5,6,7,8,2.5]}}}`, Document{Type: "t", Data: map[string]any{"n": 2.5}}, true},
		{"bad json.Number in number set", `{"data":{"n":{"$in":[1,2,3,4,5,6,7,8,9]}}}`, Document{Type: "t", Data: map[string]any{"n": json.Number("0x1")}}, false},
		{"bad json.Number", `{"data":{"n":{"$neq":1}}}`, Document{Type: "t", Data: map[string]any{"n": json.Number("x")}}, true},
		{"bad json.Number not ordered", `{"data":{"n":{"$lt":1}}}`, Document{Type: "t", Data: map[string]any{"n": json.Number("1x")}}, false},
		{"non-JSON Go value", `{"data":{"n":1}}`, Document{Type: "t", Data: map[string]any{"n": 1}}, false},
		{"nil filter", ``, Document{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var f *Filter
			if tc.filter != "" {
				f = mustCompile(t, tc.filter)
			}
			if got := f.Match(tc.doc); got != tc.want {
				t.Fatalf("Match(%s) = %v, want %v", tc.filter, got, tc.want)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	cases := []struct {
		filter string
		want   string // "" when it matches
	}{
		{`{"type":"order.created","data":{"amount":{"$gt":1,"$lt":100}}}`, "/data/amount/$lt"},
		{`{"type":"x","data":{"amount":{"$gt":1000}}}`, "/type"},
		{`{"data":{"amount":{"$gt":1000}},"type":"x"}`, "/data/amount/$gt"},
		{`{"data":{"customer":{"address":{"country":"DE"}}}}`, "/data/customer/address/country"},
		{`{"data":{"a/b~c":{"$gt":1}}}`, "/data/a~1b~0c/$gt"},
		{`{"$or":[{"type":"x"},{"type":"y"}]}`, "/$or"},
		{`{"$and":[{"type":"order.created"},{"channels":"us"}]}`, "/$and/1/channels"},
		{`{"$not":{"type":"order.created"}}`, "/$not"},
		{`{"data":{"amount":{"$not":{"$gt":1}}}}`, "/data/amount/$not"},
		{`{"data":{"items":{"sku":"C"}}}`, "/data/items/sku"},
		{`{"data":{"items":{"sku":"B","qty":1}}}`, "/data/items/sku"},
		{`{"data":{"empty":{"sku":"C"}}}`, "/data/empty"},
		{`{"data":{"absent":{"$exist":true}}}`, "/data/absent/$exist"},
		{`{"data":{"tags":{"$in":["x","y"]}}}`, "/data/tags/$in"},
		{`{"data":{"tags":{"$neq":"a"}}}`, "/data/tags/$neq"},
		{`{"type":"order.created","data":{}}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			t.Parallel()
			ok, ptr := mustCompile(t, tc.filter).Explain(testDoc(t, payload))
			if ok != (tc.want == "") || ptr != tc.want {
				t.Fatalf("Explain = %v, %q; want %q", ok, ptr, tc.want)
			}
		})
	}
}

func TestConcurrentMatch(t *testing.T) {
	t.Parallel()
	f := mustCompile(t, `{"data":{"name":{"$regex":"^A"},"tags":{"$in":["a","b","c","d","e","f","g","h","vip"]}}}`)
	doc := testDoc(t, payload)
	done := make(chan bool)
	for range 8 {
		go func() {
			ok := true
			for range 200 {
				ok = ok && f.Match(doc)
			}
			done <- ok
		}()
	}
	for range 8 {
		if !<-done {
			t.Fatal("a concurrent Match failed")
		}
	}
}

func TestDecodeData(t *testing.T) {
	t.Parallel()
	v, err := DecodeData([]byte(` {"n": 12345678901234567890} `))
	if err != nil {
		t.Fatal(err)
	}
	if n := v.(map[string]any)["n"]; n != json.Number("12345678901234567890") {
		t.Fatalf("n = %#v, want the exact json.Number", n)
	}
	for _, bad := range []string{``, `{`, `{} {}`, `1 x`} {
		if _, err := DecodeData([]byte(bad)); err == nil {
			t.Errorf("DecodeData(%q) succeeded", bad)
		}
	}
}

// TestMatchAllocations keeps Match (nearly) off the heap: it runs in the
// publish transaction for every filtered endpoint. Looking up "type" or
// "channels" boxes that field once (a 16- or 24-byte allocation); data
// lookups and every operator allocate nothing.
// Not parallel: AllocsPerRun refuses to run beside other tests.
func TestMatchAllocations(t *testing.T) {
	doc := testDoc(t, payload)
	for _, tc := range []struct {
		filter string
		max    float64
	}{
		{dataFilter, 0},
		{typicalFilter, 2},
	} {
		f := mustCompile(t, tc.filter)
		if n := testing.AllocsPerRun(100, func() { f.Match(doc) }); n > tc.max {
			t.Errorf("Match(%s) allocates %v times, want <= %v", tc.filter, n, tc.max)
		}
	}
}

const dataFilter = `{"data":{"amount":{"$gte":100},"customer":{"tier":{"$in":["gold","platinum"]}},
	"name":{"$regex":"^A"},"items":{"sku":"B"},"status":{"$neq":"void"}}}`

const typicalFilter = `{"type":{"$in":["order.created","order.paid"]},"channels":"eu",
	"data":{"amount":{"$gte":100},"customer":{"tier":{"$in":["gold","platinum"]}},
	"name":{"$regex":"^A"},"items":{"sku":"B"},"status":{"$neq":"void"}}}`

// BenchmarkPublish50 is DESIGN's budget: 50 filtered endpoints add < 2 ms.
func BenchmarkPublish50(b *testing.B) {
	filters := make([]*Filter, 50)
	for i := range filters {
		filters[i] = mustCompile(b, strings.Replace(typicalFilter, "100", "1"+strings.Repeat("0", i%3), 1))
	}
	doc := testDoc(b, payload)
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range filters {
			f.Match(doc)
		}
	}
}

// BenchmarkWorstCase is a near-limit filter on 1,000-element arrays: 256
// numeric $in items against every item's qty.
func BenchmarkWorstCase(b *testing.B) {
	doc := bigDoc(b)
	var nums []string
	for i := range MaxListItems {
		nums = append(nums, strconv.Itoa(5000+i))
	}
	f := mustCompile(b, `{"data":{"items":{"qty":{"$in":[`+strings.Join(nums, ",")+`]}},"nums":{"$nin":[`+strings.Join(nums, ",")+`]}}}`)
	b.ReportAllocs()
	for b.Loop() {
		f.Match(doc)
	}
}
