package endpoint

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/filter"
	"github.com/hookline/hookline/internal/publish"
)

// normalizeChannels checks an endpoint's channels and sorts and
// deduplicates them.
func normalizeChannels(channels []string) ([]string, error) {
	if err := publish.ValidChannels("body.channels", channels, publish.MaxEndpointChannels); err != nil {
		return nil, err
	}
	return slices.Compact(slices.Sorted(slices.Values(channels))), nil
}

// normalizeFilter compiles an endpoint's filter once (a bad one is a 422
// naming its JSON pointer) and returns it compacted; null or empty: none.
func normalizeFilter(f json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(f)) == 0 || bytes.Equal(bytes.TrimSpace(f), []byte("null")) {
		return nil, nil
	}
	if _, err := filter.Compile(f); err != nil {
		return nil, filter.ToInvalid(err, "body.filter")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, f); err != nil {
		return nil, apperr.Invalid("body.filter", nil, "filter is not valid JSON")
	}
	// jsonb refuses a \u0000 escape (SQLSTATE 22P05).
	if bytes.Contains(compact.Bytes(), []byte(`\u0000`)) {
		return nil, apperr.Invalid("body.filter", nil, "filter may not contain a NUL character (\\u0000)")
	}
	return compact.Bytes(), nil
}
