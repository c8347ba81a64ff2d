package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// scan is what scanJSON finds in a body, each as a dotted path from the
// root ("address.unit_code"): the first member name that appears twice in
// one object, and the first member, in document order, that the type
// decoded into does not have.
type scan struct {
	duplicate string
	unknown   string
}

// errStop ends a scan at the first duplicate.
var errStop = errors.New("stop")

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// scanJSON reads body once with the tokenizer of go-json-experiment
// (jsontext), which refuses duplicate member names anywhere in a value,
// walking the type t beside it. encoding/json keeps the last of duplicate
// names and matches names without regard to case, so a member given twice,
// or twice in different cases ("pin" and "PIN"), would be read one way by
// a proxy or a validator and another way here: both are duplicates. It also
// finds the full path of an unknown member, which encoding/json names only
// by its last part. A body that is not valid JSON gives an empty scan; the
// decoder reports it.
func scanJSON(t reflect.Type, body []byte) scan {
	w := walker{dec: jsontext.NewDecoder(bytes.NewReader(body))}
	if err := w.value(t, nil); err != nil && w.found.duplicate == "" {
		var serr *jsontext.SyntacticError
		if errors.As(err, &serr) && errors.Is(serr.Err, jsontext.ErrDuplicateName) {
			var parts []string
			for tok := range serr.JSONPointer.Tokens() {
				parts = append(parts, tok)
			}
			w.found.duplicate = strings.Join(parts, ".")
		}
	}
	return w.found
}

type walker struct {
	dec   *jsontext.Decoder
	found scan
}

func dotted(path []string, name string) string {
	if len(path) == 0 {
		return name
	}
	return strings.Join(path, ".") + "." + name
}

// value reads the next value, which decodes into t (nil: anything).
func (w *walker) value(t reflect.Type, path []string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || reflect.PointerTo(t).Implements(unmarshalerType) {
		// A type that decodes itself (dates, sex) or anything: its names
		// are still checked for duplicates by the tokenizer.
		return w.dec.SkipValue()
	}
	switch k := w.dec.PeekKind(); {
	case t.Kind() == reflect.Struct && k == '{':
		return w.object(t, path)
	case t.Kind() == reflect.Map && k == '{':
		if _, err := w.dec.ReadToken(); err != nil {
			return err
		}
		for w.dec.PeekKind() == '"' {
			name, err := w.dec.ReadToken()
			if err != nil {
				return err
			}
			if err := w.value(t.Elem(), append(path, name.String())); err != nil {
				return err
			}
		}
		_, err := w.dec.ReadToken()
		return err
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && k == '[':
		if _, err := w.dec.ReadToken(); err != nil {
			return err
		}
		for w.dec.PeekKind() != ']' && w.dec.PeekKind() != 0 {
			if err := w.value(t.Elem(), path); err != nil {
				return err
			}
		}
		_, err := w.dec.ReadToken()
		return err
	}
	return w.dec.SkipValue()
}

// object reads an object decoded into the struct t.
func (w *walker) object(t reflect.Type, path []string) error {
	if _, err := w.dec.ReadToken(); err != nil {
		return err
	}
	fields := fieldsOf(t)
	seen := make([]string, len(fields.list))
	for w.dec.PeekKind() == '"' {
		tok, err := w.dec.ReadToken()
		if err != nil {
			return err
		}
		name := tok.String()
		i, ok := fields.lookup(name)
		if !ok {
			if w.found.unknown == "" {
				w.found.unknown = dotted(path, name)
			}
			if err := w.dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		if seen[i] != "" {
			w.found.duplicate = dotted(path, name)
			return errStop
		}
		seen[i] = name
		if err := w.value(fields.list[i].typ, append(path, name)); err != nil {
			return err
		}
	}
	_, err := w.dec.ReadToken()
	return err
}

type structField struct {
	name string
	typ  reflect.Type
}

type structFields struct {
	list  []structField
	exact map[string]int
}

// lookup finds the field encoding/json decodes name into: the exact name,
// else one equal without regard to case.
func (f *structFields) lookup(name string) (int, bool) {
	if i, ok := f.exact[name]; ok {
		return i, true
	}
	for i, sf := range f.list {
		if strings.EqualFold(sf.name, name) {
			return i, true
		}
	}
	return 0, false
}

var fieldCache sync.Map // reflect.Type → *structFields

func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	m := map[string]reflect.Type{}
	collect(t, m)
	f := &structFields{exact: make(map[string]int, len(m))}
	for name, ft := range m {
		f.exact[name] = len(f.list)
		f.list = append(f.list, structField{name, ft})
	}
	fieldCache.Store(t, f)
	return f
}
