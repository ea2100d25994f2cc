// Package cursor is the keyset pagination cursor: the (created_at, id) of the
// last row of a page, opaque to clients (base64url of a version byte, unix
// microseconds and the 16-byte id).
package cursor

import (
	"encoding/base64"
	"encoding/binary"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/internal/apperr"
)

const version = 1

// Cursor points just past a row, in (created_at, id) descending order.
type Cursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// String encodes c for clients.
func (c Cursor) String() string {
	b := make([]byte, 1+8+16)
	b[0] = version
	binary.BigEndian.PutUint64(b[1:9], uint64(c.CreatedAt.UnixMicro()))
	copy(b[9:], c.ID[:])
	return base64.RawURLEncoding.EncodeToString(b)
}

// Parse decodes a cursor; empty means the first page. A malformed one is a
// 400 naming the query parameter.
func Parse(s string) (*Cursor, error) {
	if s == "" {
		return nil, nil
	}
	// One encoding per cursor: Strict rejects stray trailing bits, the length
	// check the CR/LF the decoder would otherwise skip.
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(s) != base64.RawURLEncoding.EncodedLen(25) || len(b) != 25 || b[0] != version {
		return nil, apperr.BadRequest("query.cursor", "malformed cursor; pass next_cursor from a previous page")
	}
	id, _ := uuid.FromBytes(b[9:])
	return &Cursor{CreatedAt: time.UnixMicro(int64(binary.BigEndian.Uint64(b[1:9]))).UTC(), ID: id}, nil
}

// Page trims the one extra row a list query fetched (limit+1) and returns
// the cursor of the next page, or nil when there is none.
func Page[T any](rows []T, limit int, key func(T) Cursor) ([]T, *string) {
	if len(rows) <= limit {
		return rows, nil
	}
	rows = rows[:limit]
	c := key(rows[limit-1]).String()
	return rows, &c
}
