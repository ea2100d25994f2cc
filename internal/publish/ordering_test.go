package publish

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/apperr"
)

func TestValidOrderingKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key string
		ok  bool
	}{
		{"", true},
		{"order_1234", true},
		{"Ünïcødé key/with spaces", true},
		{strings.Repeat("k", MaxOrderingKeyLen), true},
		{strings.Repeat("é", MaxOrderingKeyLen), true}, // characters, not bytes
		{strings.Repeat("k", MaxOrderingKeyLen+1), false},
		{"tab\there", false},
		{"nul\x00", false},
		{"bad\xffutf8", false},
	} {
		err := validOrderingKey(tc.key)
		var ae *apperr.Error
		switch {
		case tc.ok && err != nil:
			t.Errorf("%q: %v", tc.key, err)
		case !tc.ok && (!errors.As(err, &ae) || ae.Field != "body.ordering_key"):
			t.Errorf("%q: %v, want a 422 naming body.ordering_key", tc.key, err)
		}
	}
}
