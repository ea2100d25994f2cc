package workflows

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/api/serviceerror"
)

// A start that fails for a reason that heals by itself is tried again at
// once; one that cannot heal is not.
func TestRetryTransient(t *testing.T) {
	t.Parallel()
	unmapped := serviceerror.NewInvalidArgument("no mapping defined for search attribute HooklineEventType for namespace default")
	for _, tc := range []struct {
		name  string
		errs  []error // what each call returns; past the end: nil
		calls int
		fails bool
	}{
		{"ok at once", nil, 1, false},
		{"unavailable then ok", []error{serviceerror.NewUnavailable("down"), serviceerror.NewUnavailable("down")}, 3, false},
		{"search attribute not yet usable", []error{unmapped}, 2, false},
		{"overloaded", []error{serviceerror.NewResourceExhausted(0, "busy")}, 2, false},
		{"permanent", []error{serviceerror.NewInvalidArgument("bad input"), nil}, 1, true},
		{"not a Temporal error", []error{errors.New("boom"), nil}, 1, true},
		{"never heals", []error{unmapped, unmapped, unmapped, unmapped, unmapped, unmapped, unmapped}, len(startBackoff) + 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			err := retryTransient(context.Background(), func() error {
				calls++
				if calls <= len(tc.errs) {
					return tc.errs[calls-1]
				}
				return nil
			})
			if calls != tc.calls || (err != nil) != tc.fails {
				t.Fatalf("calls %d (want %d), err %v", calls, tc.calls, err)
			}
		})
	}
}
