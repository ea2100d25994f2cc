package publish

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/delivery"
)

// MaxOrderingKeyLen bounds an ordering key, in characters.
const MaxOrderingKeyLen = 128

func validOrderingKey(k string) error {
	if !utf8.ValidString(k) || utf8.RuneCountInString(k) > MaxOrderingKeyLen ||
		strings.IndexFunc(k, unicode.IsControl) >= 0 {
		return apperr.Invalid("body.ordering_key", strings.ToValidUTF8(k, "\uFFFD"),
			"ordering_key is at most %d characters, with no control characters", MaxOrderingKeyLen)
	}
	return nil
}

// AssignOrdering numbers new deliveries to ordered endpoints at the end of
// their event's key, in the transaction that creates them (q): a publish,
// a replay and a recovery all join the end of the key.
func AssignOrdering(ctx context.Context, q *dbq.Queries, ds []delivery.Ref) error {
	if len(ds) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	return q.AssignOrdering(ctx, ids)
}
