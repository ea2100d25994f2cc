package filter

import (
	"math/big"
	"testing"
)

// numbers are literals around the hard cases: signs, zeros, int vs float
// spellings, 2^53 and 2^64 neighbours, exponents.
var numbers = []string{
	"0", "-0", "0.0", "0e5", "-0.000e-3",
	"1", "1.0", "1e0", "10e-1", "0.1e1", "100e-2", "-1", "-1.00",
	"1.5", "15e-1", "0.15e1", "1.50000000000000000001", "1.4999999999999999999",
	"9007199254740992", "9007199254740993", "9007199254740993.0", "9.007199254740993e15",
	"18446744073709551615", "18446744073709551616", "1.8446744073709551616E19",
	"1e21", "1E+21", "1000000000000000000000", "-1e21",
	"1e-7", "0.0000001", "0.00000010", "1e-400", "-1e-400", "1e400",
	"123.456", "123.4560", "0.123456e3", "-123.456",
}

func TestDecimalOrder(t *testing.T) {
	t.Parallel()
	for _, x := range numbers {
		for _, y := range numbers {
			dx, ok1 := parseDecimal(x)
			dy, ok2 := parseDecimal(y)
			if !ok1 || !ok2 {
				t.Fatalf("parseDecimal(%q)/(%q) failed", x, y)
			}
			rx, _ := new(big.Rat).SetString(x)
			ry, _ := new(big.Rat).SetString(y)
			if got, want := dx.cmp(dy), rx.Cmp(ry); got != want {
				t.Errorf("cmp(%s, %s) = %d, want %d", x, y, got, want)
			}
		}
	}
}

func TestDecimalSyntax(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "-", "+1", "01", "1.", ".5", "1e", "1e+", "0x10", "1_000", "NaN", "Inf", "1.5.5", " 1", "1 ", "--1", "1e5e5"} {
		if _, ok := parseDecimal(bad); ok {
			t.Errorf("parseDecimal(%q) accepted", bad)
		}
	}
	// Exponents beyond maxExp saturate rather than overflow.
	huge, ok := parseDecimal("1e99999999999999999999999")
	if !ok || huge.cmp(decimal{a: "1", pos: 1 << 40}) <= 0 {
		t.Errorf("huge exponent: %+v, %v", huge, ok)
	}
}
