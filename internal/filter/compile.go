package filter

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxRegexInsts bounds a compiled $regex: RE2 matching is linear in the
// text but also proportional to the program, and 256 characters of
// counted repetitions ("(\\pL{100}){100}") could otherwise make a large one.
const maxRegexInsts = 4096

// minSet is the number of string (or number) items from which $in looks
// them up in a set rather than scanning.
const minSet = 8

type opcode uint8

const (
	opObject   opcode = iota + 1 // entries, ANDed
	opAnd                        // kids, ANDed
	opOr                         // kids, ORed
	opNot                        // kids[0], negated
	opIn                         // list ($in, and $eq with its single operand)
	opNin                        // list, negated ($nin, $neq)
	opGt                         // comparisons against lit
	opGte                        //
	opLt                         //
	opLte                        //
	opPrefix                     // str
	opSuffix                     // str
	opContains                   // lit
	opExist                      // flag
	opRegex                      // re
)

// node is a compiled condition, evaluated against one value (or a missing
// one). ptr is its JSON pointer in the filter, for Explain.
type node struct {
	op       opcode
	ptr      string
	entries  []entry // opObject
	hasField bool    // opObject: some entry names a field
	kids     []*node // opAnd, opOr, opNot
	list     *list   // opIn, opNin
	lit      *lit    // comparisons, opContains
	str      string  // opPrefix, opSuffix
	flag     bool    // opExist
	re       *regexp.Regexp
}

// entry is one member of a filter object: a field's condition (field) or
// an operator applied to the object's own value.
type entry struct {
	key   string
	field bool
	n     *node
}

// compiler carries the counts that span the whole filter.
type compiler struct {
	ops    int
	weight int
}

func (c *compiler) newNode(op opcode, ptr string) *node {
	c.weight++
	return &node{op: op, ptr: ptr}
}

// object compiles a filter or operator object. top says the object applies
// to the document itself, where only field names and logical operators make
// sense.
func (c *compiler) object(j *jval, ptr string, top bool) (*node, error) {
	if !top {
		var fields, ops bool
		for _, k := range j.keys {
			if !strings.HasPrefix(k, "$") {
				fields = true
			} else if _, ok := leafOp(k); ok {
				ops = true
			}
		}
		if fields && ops {
			return nil, errAt(ptr, "mixes operators and field names: use $and, or a nested object per field")
		}
	}
	n := c.newNode(opObject, ptr)
	for i, k := range j.keys {
		kp := child(ptr, k)
		if !strings.HasPrefix(k, "$") {
			kid, err := c.cond(j.vals[i], kp)
			if err != nil {
				return nil, err
			}
			n.entries = append(n.entries, entry{key: k, field: true, n: kid})
			n.hasField = true
			continue
		}
		if c.ops++; c.ops > MaxOperators {
			return nil, errAt(kp, "is operator number %d; at most %d are allowed", c.ops, MaxOperators)
		}
		kid, err := c.operator(k, j.vals[i], kp, top)
		if err != nil {
			return nil, err
		}
		n.entries = append(n.entries, entry{n: kid})
	}
	// A lone operator needs no wrapper: {"$gt": 1} is the $gt itself.
	if len(n.entries) == 1 && !n.hasField {
		return n.entries[0].n, nil
	}
	return n, nil
}

// cond compiles a field's value: an object, or implicit equality.
func (c *compiler) cond(j *jval, ptr string) (*node, error) {
	if j.kind == jObject {
		return c.object(j, ptr, false)
	}
	n := c.newNode(opIn, ptr)
	n.list = c.newList([]*jval{j})
	return n, nil
}

func (c *compiler) operator(k string, j *jval, ptr string, top bool) (*node, error) {
	switch k {
	case "$and", "$or":
		if j.kind != jArray || len(j.vals) == 0 {
			return nil, errAt(ptr, "must be a non-empty array of objects")
		}
		n := c.newNode(opAnd, ptr)
		if k == "$or" {
			n.op = opOr
		}
		for i, item := range j.vals {
			ip := child(ptr, strconv.Itoa(i))
			if item.kind != jObject {
				return nil, errAt(ip, "must be an object")
			}
			kid, err := c.object(item, ip, top)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, kid)
		}
		return n, nil
	case "$not":
		if j.kind != jObject {
			return nil, errAt(ptr, "must be an object")
		}
		kid, err := c.object(j, ptr, top)
		if err != nil {
			return nil, err
		}
		n := c.newNode(opNot, ptr)
		n.kids = []*node{kid}
		return n, nil
	}
	op, ok := leafOp(k)
	if !ok {
		return nil, errAt(ptr, "is not a known operator")
	}
	if top {
		return nil, errAt(ptr, "must be applied to a field, e.g. {\"data\": {\"amount\": {\"%s\": …}}}", k)
	}
	n := c.newNode(op, ptr)
	switch op {
	case opIn, opNin:
		if k == "$eq" || k == "$neq" {
			n.list = c.newList([]*jval{j})
			break
		}
		if j.kind != jArray {
			return nil, errAt(ptr, "must be an array")
		}
		if len(j.vals) > MaxListItems {
			return nil, errAt(ptr, "must have at most %d items", MaxListItems)
		}
		n.list = c.newList(j.vals)
	case opGt, opGte, opLt, opLte:
		if j.kind != jNumber && j.kind != jString {
			return nil, errAt(ptr, "must be a number or a string")
		}
		n.lit = c.newLit(j)
	case opPrefix, opSuffix:
		if j.kind != jString {
			return nil, errAt(ptr, "must be a string")
		}
		n.str = j.s
	case opContains:
		n.lit = c.newLit(j)
	case opExist:
		if j.kind != jBool {
			return nil, errAt(ptr, "must be true or false")
		}
		n.flag = j.b
	case opRegex:
		re, err := compileRegex(j, ptr)
		if err != nil {
			return nil, err
		}
		n.re = re
	}
	return n, nil
}

// leafOp maps a comparison operator to its opcode; $eq/$neq are one-item
// $in/$nin.
func leafOp(k string) (opcode, bool) {
	switch k {
	case "$eq", "$in":
		return opIn, true
	case "$neq", "$nin":
		return opNin, true
	case "$gt":
		return opGt, true
	case "$gte":
		return opGte, true
	case "$lt":
		return opLt, true
	case "$lte":
		return opLte, true
	case "$startsWith":
		return opPrefix, true
	case "$endsWith":
		return opSuffix, true
	case "$contains":
		return opContains, true
	case "$exist":
		return opExist, true
	case "$regex":
		return opRegex, true
	}
	return 0, false
}

func compileRegex(j *jval, ptr string) (*regexp.Regexp, error) {
	if j.kind != jString {
		return nil, errAt(ptr, "must be a string")
	}
	if utf8.RuneCountInString(j.s) > MaxRegex {
		return nil, errAt(ptr, "must be at most %d characters", MaxRegex)
	}
	re, err := regexp.Compile(j.s)
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			// The code is a fixed phrase ("missing closing )"); the
			// expression it quotes is the client's own and may be long.
			return nil, errAt(ptr, "is not a valid RE2 regular expression: %s", se.Code)
		}
		return nil, errAt(ptr, "is not a valid RE2 regular expression")
	}
	// regexp.Compile already parsed it; parse again for the program size,
	// which *regexp.Regexp does not expose.
	if p, err := syntax.Parse(j.s, syntax.Perl); err == nil {
		if prog, err := syntax.Compile(p.Simplify()); err != nil || len(prog.Inst) > maxRegexInsts {
			return nil, errAt(ptr, "is too complex a regular expression")
		}
	}
	return re, nil
}
