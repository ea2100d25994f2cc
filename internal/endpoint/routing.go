package endpoint

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/filter"
	"github.com/hookline/hookline/internal/publish"
)

// validateRouting checks an endpoint's channels (sorted, deduplicated) and
// filter (compiled once here: a bad one is a 422 naming its JSON pointer).
// A null filter is none.
func validateRouting(channels []string, f json.RawMessage) ([]string, json.RawMessage, error) {
	if err := publish.ValidChannels("body.channels", channels, publish.MaxEndpointChannels); err != nil {
		return nil, nil, err
	}
	channels = slices.Compact(slices.Sorted(slices.Values(channels)))
	if len(bytes.TrimSpace(f)) == 0 || bytes.Equal(bytes.TrimSpace(f), []byte("null")) {
		return channels, nil, nil
	}
	if _, err := filter.Compile(f); err != nil {
		return nil, nil, filter.ToInvalid(err, "body.filter")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, f); err != nil {
		return nil, nil, apperr.Invalid("body.filter", nil, "filter is not valid JSON")
	}
	// jsonb refuses a \u0000 escape (SQLSTATE 22P05).
	if bytes.Contains(compact.Bytes(), []byte(`\u0000`)) {
		return nil, nil, apperr.Invalid("body.filter", nil, "filter may not contain a NUL character (\\u0000)")
	}
	return channels, compact.Bytes(), nil
}
