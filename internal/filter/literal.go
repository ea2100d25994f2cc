package filter

import (
	"encoding/json"
	"math"
	"strconv"
)

// lit is a compiled literal operand.
type lit struct {
	kind  jkind
	b     bool
	s     string
	num   decimal // jNumber: exact, against json.Number data
	f     float64 // jNumber: against float64 data
	items []*lit  // jArray items, or jObject member values
	keys  []string
}

// list is the operand of $in/$nin (and of $eq/$neq, as one item). Long
// lists keep strings and numbers in sets, so a 256-item $in on a
// 1,000-element array costs 1,000 lookups, not 256,000 comparisons.
type list struct {
	strs    map[string]struct{} // string items, when there are many
	nums    map[string]struct{} // number items by decimal key, when there are many
	numbers []*lit              // the items in nums, for float64 data
	scalars []*lit              // other non-array items
	arrays  []*lit              // array items: deep equality with the field itself
}

func (c *compiler) newLit(j *jval) *lit {
	c.weight++
	l := &lit{kind: j.kind, b: j.b, s: j.s}
	switch j.kind {
	case jNumber:
		l.num, _ = parseDecimal(j.s) // the decoder produced it: valid
		l.f, _ = strconv.ParseFloat(j.s, 64)
	case jArray:
		for _, v := range j.vals {
			l.items = append(l.items, c.newLit(v))
		}
	case jObject:
		l.keys = j.keys
		for _, v := range j.vals {
			l.items = append(l.items, c.newLit(v))
		}
	}
	return l
}

func (c *compiler) newList(items []*jval) *list {
	l := &list{}
	var strs, nums int
	for _, it := range items {
		switch it.kind {
		case jString:
			strs++
		case jNumber:
			nums++
		}
	}
	if strs >= minSet {
		l.strs = make(map[string]struct{}, strs)
	}
	if nums >= minSet {
		l.nums = make(map[string]struct{}, nums)
	}
	for _, it := range items {
		switch {
		case it.kind == jString && l.strs != nil:
			c.weight++
			l.strs[it.s] = struct{}{}
		case it.kind == jNumber && l.nums != nil:
			n := c.newLit(it)
			l.nums[string(n.num.appendKey(nil))] = struct{}{}
			l.numbers = append(l.numbers, n)
		case it.kind == jArray:
			l.arrays = append(l.arrays, c.newLit(it))
		default:
			l.scalars = append(l.scalars, c.newLit(it))
		}
	}
	return l
}

// equal is deep JSON equality of data value v with l; numbers by value.
func (l *lit) equal(v any, st *state) bool {
	st.steps++
	switch l.kind {
	case jNull:
		return v == nil
	case jBool:
		b, ok := v.(bool)
		return ok && b == l.b
	case jString:
		s, ok := v.(string)
		return ok && s == l.s
	case jNumber:
		c, ok := l.order(v)
		return ok && c == 0
	case jArray:
		switch a := v.(type) {
		case []any:
			if len(a) != len(l.items) {
				return false
			}
			for i, e := range a {
				if !l.items[i].equal(e, st) {
					return false
				}
			}
			return true
		case []string:
			if len(a) != len(l.items) {
				return false
			}
			for i, s := range a {
				st.steps++
				if it := l.items[i]; it.kind != jString || it.s != s {
					return false
				}
			}
			return true
		}
	case jObject:
		m, ok := v.(map[string]any)
		if !ok || len(m) != len(l.keys) {
			return false
		}
		for i, k := range l.keys {
			e, ok := m[k]
			if !ok || !l.items[i].equal(e, st) {
				return false
			}
		}
		return true
	}
	return false
}

// order compares data value v with the number or string l (-1, 0, +1);
// ok is false when they are not comparable.
func (l *lit) order(v any) (int, bool) {
	switch l.kind {
	case jString:
		if s, ok := v.(string); ok {
			return cmpString(s, l.s), true
		}
	case jNumber:
		switch x := v.(type) {
		case json.Number:
			if d, ok := parseDecimal(string(x)); ok {
				return d.cmp(l.num), true
			}
		case float64:
			if !math.IsNaN(x) {
				return cmpFloat(x, l.f), true
			}
		}
	}
	return 0, false
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// match is $in on data value v: v, or on an array any element, equals a
// non-array item; or v deep-equals an array item.
func (l *list) match(v any, st *state) bool {
	switch a := v.(type) {
	case []any:
		for _, it := range l.arrays {
			if it.equal(v, st) {
				return true
			}
		}
		for _, e := range a {
			st.steps++
			if l.has(e, st) {
				return true
			}
		}
		return false
	case []string:
		for _, it := range l.arrays {
			if it.equal(v, st) {
				return true
			}
		}
		for _, s := range a {
			st.steps++
			if l.hasString(s, st) {
				return true
			}
		}
		return false
	}
	return l.has(v, st)
}

// has reports whether a non-array item equals x.
func (l *list) has(x any, st *state) bool {
	switch v := x.(type) {
	case string:
		return l.hasString(v, st)
	case json.Number:
		return l.hasNumber(v, st)
	case float64:
		for _, it := range l.numbers {
			if it.equal(x, st) {
				return true
			}
		}
	}
	for _, it := range l.scalars {
		if it.equal(x, st) {
			return true
		}
	}
	return false
}

// hasNumber parses x once, then looks it up or compares it with each item.
func (l *list) hasNumber(x json.Number, st *state) bool {
	d, ok := parseDecimal(string(x))
	if !ok {
		return false
	}
	if l.nums != nil {
		st.steps++
		var buf [64]byte
		_, ok := l.nums[string(d.appendKey(buf[:0]))]
		return ok
	}
	for _, it := range l.scalars {
		st.steps++
		if it.kind == jNumber && d.cmp(it.num) == 0 {
			return true
		}
	}
	return false
}

func (l *list) hasString(s string, st *state) bool {
	if l.strs != nil {
		st.steps++
		_, ok := l.strs[s]
		return ok
	}
	for _, it := range l.scalars {
		st.steps++
		if it.kind == jString && it.s == s {
			return true
		}
	}
	return false
}
