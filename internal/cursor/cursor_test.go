package cursor

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestRoundTripAndPage(t *testing.T) {
	t.Parallel()
	c := Cursor{CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), ID: uuid.New()}
	got, err := Parse(c.String())
	if err != nil || *got != c {
		t.Fatalf("Parse(String()) = %+v, %v", got, err)
	}
	rows := []int{1, 2, 3}
	page, next := Page(rows, 2, func(i int) Cursor { return Cursor{ID: uuid.UUID{byte(i)}} })
	if len(page) != 2 || next == nil {
		t.Fatalf("page %v next %v", page, next)
	}
	if _, next := Page(rows, 3, func(int) Cursor { return Cursor{} }); next != nil {
		t.Fatal("a last page has a next cursor")
	}
}

// A cursor either decodes to exactly what was encoded or is refused; it
// never panics.
func FuzzParse(f *testing.F) {
	f.Add(Cursor{CreatedAt: time.Unix(1_700_000_000, 123000).UTC(), ID: uuid.MustParse("0192f0c4-6a2b-7cde-8f01-23456789abcd")}.String())
	f.Add("")
	f.Add("AAAA")
	f.Add("!!!")
	f.Add(strings.Repeat("A", 64))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil || c == nil {
			return
		}
		if again := c.String(); again != s {
			t.Fatalf("cursor %q decodes to %+v which encodes to %q", s, *c, again)
		}
	})
}
