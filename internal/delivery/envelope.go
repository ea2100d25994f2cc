package delivery

import (
	"bytes"
	"encoding/json"
	"time"
)

// Envelope is the body every receiver gets: {"id","type","timestamp","data"}.
// The payload's bytes are copied verbatim (events.payload is json, not
// jsonb), so retries are byte-identical.
func Envelope(eventID, eventType string, occurredAt time.Time, payload []byte) []byte {
	id, _ := json.Marshal(eventID)
	typ, _ := json.Marshal(eventType)
	var b bytes.Buffer
	b.Grow(len(payload) + 128)
	b.WriteString(`{"id":`)
	b.Write(id)
	b.WriteString(`,"type":`)
	b.Write(typ)
	b.WriteString(`,"timestamp":"`)
	b.WriteString(occurredAt.UTC().Format(time.RFC3339Nano))
	b.WriteString(`","data":`)
	b.Write(payload)
	b.WriteString(`}`)
	return b.Bytes()
}
