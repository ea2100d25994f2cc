package endpoint

import (
	"testing"

	"github.com/hookline/hookline/internal/delivery"
)

func TestOrderingOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		o       delivery.Ordering
		x       delivery.OnExhausted
		wantO   delivery.Ordering
		wantX   delivery.OnExhausted
		invalid string // the field named, or "" when valid
	}{
		{"", "", delivery.Unordered, delivery.Block, ""},
		{delivery.Ordered, delivery.Skip, delivery.Ordered, delivery.Skip, ""},
		{"fifo", "", "", "", "body.ordering"},
		{delivery.Ordered, "drop", "", "", "body.on_exhausted"},
	} {
		o, x, err := orderingOf(tc.o, tc.x)
		if tc.invalid != "" {
			if got := fieldOf(t, err); got != tc.invalid {
				t.Errorf("%q/%q: field %q, want %q", tc.o, tc.x, got, tc.invalid)
			}
			continue
		}
		if err != nil || o != tc.wantO || x != tc.wantX {
			t.Errorf("%q/%q → %q/%q, %v", tc.o, tc.x, o, x, err)
		}
	}
}
