package bench

import (
	"strings"
	"testing"
)

func TestOutOfOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		rs   []receipt
		want int
	}{
		{"none", nil, 0},
		{"in order, keys interleaved and listed shuffled", []receipt{
			{"b", 1, 40}, {"a", 0, 10}, {"b", 0, 15}, {"a", 2, 50}, {"a", 1, 20}, {"c", 0, 5},
		}, 0},
		{"two swapped", []receipt{{"a", 0, 10}, {"a", 1, 30}, {"a", 2, 20}, {"a", 3, 40}}, 1},
		// Every receipt after a late first one arrived before it.
		{"first arrives last", []receipt{{"a", 0, 100}, {"a", 1, 10}, {"a", 2, 20}, {"a", 3, 30}}, 3},
		{"same instant is not in order", []receipt{{"a", 0, 10}, {"a", 1, 10}}, 1},
		// Only within a key: b's early receipt is not behind a's.
		{"keys independent", []receipt{{"a", 0, 100}, {"a", 1, 200}, {"b", 0, 50}, {"b", 1, 60}, {"b", 2, 55}}, 1},
	} {
		if got := outOfOrder(tc.rs); got != tc.want {
			t.Errorf("%s: outOfOrder = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestOrderedEventIDs(t *testing.T) {
	// Round-robin over the keys; a key's place is i / keys; ids are unique
	// and keep the run's prefix (waitDelivered matches on it); keys belong
	// to one run.
	seen := map[string]bool{}
	for i := range 250 {
		id := orderedEventID("ordered-k100-", i, 100)
		if seen[id] || !strings.HasPrefix(id, orderedKey("ordered-k100-", i, 100)+"-") || !strings.HasPrefix(orderedKey("ordered-k100-", i, 100), "ordered-k100-") {
			t.Fatalf("event %d: id %q repeated or malformed", i, id)
		}
		seen[id] = true
	}
	k := func(i, keys int) string { return orderedKey("p-", i, keys) }
	if k(7, 100) != k(107, 100) || k(7, 100) == k(8, 100) || k(5, 1) != k(0, 1) {
		t.Fatal("events are not spread round-robin over the keys")
	}
	if strings.HasPrefix(orderedEventID("ordered-k100-", 0, 100), "ordered-k1-") || orderedKey("ordered-k100-", 0, 100) == orderedKey("ordered-k1-", 0, 1) {
		t.Fatal("the 1-key run's prefix matches the 100-key run's events, or the runs share a key")
	}
}
