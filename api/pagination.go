package api

import (
	"encoding/base64"
	"encoding/binary"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/internal/apperr"
)

// A cursor is the (created_at, id) of the last row of a page, opaque to
// clients: base64url of version byte, unix microseconds and the 16-byte id.
const cursorVersion = 1

type cursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// EncodeCursor makes the cursor of a page that ends at (createdAt, id). The
// API hands these out as next_cursor; the bench builds deep-page cursors.
func EncodeCursor(createdAt time.Time, id uuid.UUID) string {
	return encodeCursor(cursor{CreatedAt: createdAt, ID: id})
}

func encodeCursor(c cursor) string {
	b := make([]byte, 1+8+16)
	b[0] = cursorVersion
	binary.BigEndian.PutUint64(b[1:9], uint64(c.CreatedAt.UnixMicro()))
	copy(b[9:], c.ID[:])
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor parses a cursor; a malformed one is a 400 naming the parameter.
func decodeCursor(s string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 25 || b[0] != cursorVersion {
		return nil, apperr.BadRequest("query.cursor", "malformed cursor; pass next_cursor from a previous page")
	}
	id, _ := uuid.FromBytes(b[9:])
	return &cursor{CreatedAt: time.UnixMicro(int64(binary.BigEndian.Uint64(b[1:9]))).UTC(), ID: id}, nil
}

// PageQuery is the query string shared by every cursor-paginated list.
type PageQuery struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"page size (1–100)"`
	Cursor string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page; omit for the first (newest) page"`
}

// page trims the one extra row a list query fetched (limit+1) and returns the
// cursor of the next page, or nil when there is none.
func page[T any](rows []T, limit int, key func(T) cursor) ([]T, *string) {
	if len(rows) <= limit {
		return rows, nil
	}
	rows = rows[:limit]
	c := encodeCursor(key(rows[limit-1]))
	return rows, &c
}
