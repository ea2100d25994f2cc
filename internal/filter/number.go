package filter

import (
	"encoding/binary"
	"strings"
)

// maxExp caps a parsed exponent: beyond it every value is "huge" or "tiny"
// alike, and positions cannot overflow int64.
const maxExp = 1e15

// decimal is an exact JSON number: 0.<a b> × 10^pos, where a+b are the
// significant digits with no leading or trailing zeros (both empty for
// zero). a and b are substrings of the literal, so parsing allocates
// nothing; comparing digit strings is exact at any size, unlike float64
// (2^53+1) or big.Rat (slow, and 1e999999999 would allocate a monster).
type decimal struct {
	neg  bool
	a, b string
	pos  int64
}

// parseDecimal parses a JSON number literal (RFC 8259 grammar).
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && s[i] == '-' {
		d.neg = true
		i++
	}
	start := i
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return d, false
	}
	intPart := s[start:i]
	var frac string
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == fs {
			return d, false
		}
		frac = s[fs:i]
	}
	var exp int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		negExp := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			negExp = s[i] == '-'
			i++
		}
		es := i
		for i < len(s) && isDigit(s[i]) {
			if exp < maxExp {
				exp = exp*10 + int64(s[i]-'0')
			}
			i++
		}
		if i == es {
			return d, false
		}
		if negExp {
			exp = -exp
		}
	}
	if i != len(s) {
		return d, false
	}
	a := strings.TrimLeft(intPart, "0")
	b := frac
	pos := int64(len(a)) + exp
	if a == "" {
		t := strings.TrimLeft(b, "0")
		pos -= int64(len(b) - len(t))
		b = t
	}
	b = strings.TrimRight(b, "0")
	if b == "" {
		a = strings.TrimRight(a, "0")
	}
	if a == "" && b == "" {
		return decimal{}, true // -0 is 0
	}
	d.a, d.b, d.pos = a, b, pos
	return d, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (d decimal) sign() int {
	switch {
	case d.a == "" && d.b == "":
		return 0
	case d.neg:
		return -1
	}
	return 1
}

func (d decimal) digit(i int) byte {
	if i < len(d.a) {
		return d.a[i]
	}
	return d.b[i-len(d.a)]
}

// cmp orders d against e: -1, 0 or +1.
func (d decimal) cmp(e decimal) int {
	sd, se := d.sign(), e.sign()
	if sd != se {
		return cmpInt(int64(sd), int64(se))
	}
	if sd == 0 {
		return 0
	}
	m := d.cmpMag(e)
	if sd < 0 {
		return -m
	}
	return m
}

// cmpMag compares magnitudes of two non-zero decimals: with no leading
// zeros the point position decides, then the digits.
func (d decimal) cmpMag(e decimal) int {
	if d.pos != e.pos {
		return cmpInt(d.pos, e.pos)
	}
	n, m := len(d.a)+len(d.b), len(e.a)+len(e.b)
	for i := 0; i < n && i < m; i++ {
		if x, y := d.digit(i), e.digit(i); x != y {
			return cmpInt(int64(x), int64(y))
		}
	}
	return cmpInt(int64(n), int64(m))
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// appendKey appends a canonical key: equal values, however spelled (1,
// 1.0, 1e0), get equal keys, so $in can look numbers up in a set.
func (d decimal) appendKey(b []byte) []byte {
	b = append(b, byte(d.sign()+1))
	b = binary.BigEndian.AppendUint64(b, uint64(d.pos))
	b = append(b, d.a...)
	return append(b, d.b...)
}
