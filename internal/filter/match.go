package filter

import "strings"

// state is one evaluation's scratch. steps counts work units (node visits,
// array elements, literal comparisons) so tests can check that matching
// stays linear in the document.
type state struct {
	steps int
}

// rootDoc is the document's top level. Its type and channels are boxed
// only when the filter looks them up, so a filter on data alone matches
// without allocating; the type is unexported, so no decoded payload can
// pose as it.
type rootDoc struct {
	doc *Document
}

func (f *Filter) eval(doc *Document, st *state) *node {
	return f.root.eval(rootDoc{doc}, true, st)
}

// eval applies n to v (present false: the field is missing) and returns
// nil when it holds, else the node that failed first.
func (n *node) eval(v any, present bool, st *state) *node {
	st.steps++
	switch n.op {
	case opObject:
		return n.object(v, present, st)
	case opAnd:
		for _, k := range n.kids {
			if failed := k.eval(v, present, st); failed != nil {
				return failed
			}
		}
		return nil
	case opOr:
		for _, k := range n.kids {
			if k.eval(v, present, st) == nil {
				return nil
			}
		}
		return n
	case opNot:
		if n.kids[0].eval(v, present, st) == nil {
			return n
		}
		return nil
	}
	if n.leaf(v, present, st) {
		return nil
	}
	return n
}

// object applies a filter object. One naming fields, on an array, holds
// when some element satisfies all of it; Explain then reports the first
// element's failure.
func (n *node) object(v any, present bool, st *state) *node {
	if n.hasField && present {
		switch a := v.(type) {
		case []any:
			first := n
			for i, e := range a {
				st.steps++
				failed := n.entries1(e, true, st)
				if failed == nil {
					return nil
				}
				if i == 0 {
					first = failed
				}
			}
			return first
		case []string:
			first := n
			for i, s := range a {
				st.steps++
				failed := n.entries1(s, true, st)
				if failed == nil {
					return nil
				}
				if i == 0 {
					first = failed
				}
			}
			return first
		}
	}
	return n.entries1(v, present, st)
}

// entries1 ANDs the object's entries on one value.
func (n *node) entries1(v any, present bool, st *state) *node {
	for _, e := range n.entries {
		cv, cp := v, present
		if e.field {
			cv, cp = lookup(v, present, e.key)
		}
		if failed := e.n.eval(cv, cp, st); failed != nil {
			return failed
		}
	}
	return nil
}

// lookup is member key of v; ok is false when it is missing.
func lookup(v any, present bool, key string) (any, bool) {
	if !present {
		return nil, false
	}
	switch m := v.(type) {
	case map[string]any:
		x, ok := m[key]
		return x, ok
	case rootDoc:
		switch key {
		case "type":
			return m.doc.Type, true
		case "channels":
			return m.doc.Channels, true
		case "data":
			return m.doc.Data, true
		}
	}
	return nil, false
}

// leaf applies a comparison operator.
func (n *node) leaf(v any, present bool, st *state) bool {
	if !present {
		switch n.op {
		case opNin:
			return true
		case opExist:
			return !n.flag
		}
		return false
	}
	switch n.op {
	case opExist:
		return n.flag
	case opIn:
		return n.list.match(v, st)
	case opNin:
		return !n.list.match(v, st)
	case opContains:
		return n.contains(v, st)
	}
	// The rest hold on a scalar, or on an array when an element does.
	switch a := v.(type) {
	case []any:
		for _, e := range a {
			st.steps++
			if n.scalar(e) {
				return true
			}
		}
		return false
	case []string:
		for _, s := range a {
			st.steps++
			if n.text(s) {
				return true
			}
		}
		return false
	}
	return n.scalar(v)
}

func (n *node) contains(v any, st *state) bool {
	switch a := v.(type) {
	case string:
		return n.lit.kind == jString && strings.Contains(a, n.lit.s)
	case []any:
		for _, e := range a {
			if n.lit.equal(e, st) {
				return true
			}
		}
	case []string:
		for _, s := range a {
			st.steps++
			if n.lit.kind == jString && n.lit.s == s {
				return true
			}
		}
	}
	return false
}

// scalar applies a comparison, prefix, suffix or regex operator to one
// non-array value.
func (n *node) scalar(v any) bool {
	if s, ok := v.(string); ok {
		return n.text(s)
	}
	switch n.op {
	case opGt, opGte, opLt, opLte:
		c, ok := n.lit.order(v)
		return ok && n.holds(c)
	}
	return false
}

func (n *node) text(s string) bool {
	switch n.op {
	case opGt, opGte, opLt, opLte:
		return n.lit.kind == jString && n.holds(cmpString(s, n.lit.s))
	case opPrefix:
		return strings.HasPrefix(s, n.str)
	case opSuffix:
		return strings.HasSuffix(s, n.str)
	case opRegex:
		return n.re.MatchString(s)
	}
	return false
}

// holds reads a comparison result for n's operator.
func (n *node) holds(c int) bool {
	switch n.op {
	case opGt:
		return c > 0
	case opGte:
		return c >= 0
	case opLt:
		return c < 0
	case opLte:
		return c <= 0
	}
	return false
}
