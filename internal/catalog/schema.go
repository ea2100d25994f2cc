package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
)

// maxSchemaErrors bounds the failing locations one answer lists.
const maxSchemaErrors = 20

// schemaURL is where a compiled schema lives: in memory, nowhere else.
const schemaURL = "mem:///event-type.json"

// noLoader refuses every external $ref: a schema cannot make Hookline read
// a file or fetch a URL.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external reference %s is not allowed", url)
}

// Compile compiles a JSON Schema (2020-12 unless it says otherwise).
func Compile(raw []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(schemaURL)
}

// Validate checks a JSON document against sch. A failure is a 422 naming
// each failing location as field + "/<json pointer>".
func Validate(sch *jsonschema.Schema, doc []byte, field string) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return apperr.Invalid(field, nil, "not JSON")
	}
	err = sch.Validate(inst)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	e := &apperr.Error{Kind: apperr.KindInvalid, Field: field, Msg: "does not match the event type's schema"}
	printer := message.NewPrinter(language.English)
	seen := map[string]bool{}
	var walk func(*jsonschema.ValidationError)
	walk = func(v *jsonschema.ValidationError) {
		if len(v.Causes) > 0 {
			for _, c := range v.Causes {
				walk(c)
			}
			return
		}
		add := func(loc, msg string) {
			if seen[loc+msg] || len(e.Details) >= maxSchemaErrors {
				return
			}
			seen[loc+msg] = true
			e.Details = append(e.Details, apperr.Detail{Field: loc, Msg: msg})
		}
		// A missing property is named where it belongs, not at its parent.
		if req, ok := v.ErrorKind.(*kind.Required); ok {
			for _, m := range req.Missing {
				add(field+pointer(append(slices.Clone(v.InstanceLocation), m)), "missing required property")
			}
			return
		}
		add(field+pointer(v.InstanceLocation), v.ErrorKind.LocalizedString(printer))
	}
	walk(ve)
	return e
}

// pointer renders an instance location as a JSON pointer ("" for the root).
func pointer(path []string) string {
	var b bytes.Buffer
	for _, p := range path {
		b.WriteByte('/')
		for _, r := range p {
			switch r {
			case '~':
				b.WriteString("~0")
			case '/':
				b.WriteString("~1")
			default:
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// Schemas caches compiled schemas by type name and version (updated_at), so
// publishing compiles a schema once, not per event.
type Schemas struct {
	mu    sync.Mutex
	cache map[string]compiled
}

type compiled struct {
	version time.Time
	sch     *jsonschema.Schema
}

// For returns t's compiled schema, nil when it has none.
func (s *Schemas) For(t dbq.EventType) (*jsonschema.Schema, error) {
	if t.Schema == nil {
		return nil, nil
	}
	s.mu.Lock()
	c, ok := s.cache[t.Name]
	s.mu.Unlock()
	if ok && c.version.Equal(t.UpdatedAt) {
		return c.sch, nil
	}
	sch, err := Compile(t.Schema)
	if err != nil {
		return nil, fmt.Errorf("event type %s: stored schema does not compile: %w", t.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cache == nil {
		s.cache = map[string]compiled{}
	}
	s.cache[t.Name] = compiled{version: t.UpdatedAt, sch: sch}
	return sch, nil
}
