package units

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/populus-vn/populus/internal/problem"
)

// View is a unit as the API shows it.
type View struct {
	Key        string `json:"key"` // the code, "old:"-prefixed for pre-2025 units
	Code       string `json:"code"`
	Name       string `json:"name"`
	FullName   string `json:"full_name"`
	Type       string `json:"type"`
	Level      string `json:"level"`
	Legacy     bool   `json:"legacy"`
	ParentCode string `json:"parent_code,omitempty"`
	ValidFrom  string `json:"valid_from,omitempty"`
	ValidTo    string `json:"valid_to,omitempty"`
	Population int    `json:"population,omitempty"`
	Successor  string `json:"successor,omitempty"` // for pre-2025 units: the key of the unit in force now
}

// ViewOf returns the API view of u.
func (r *Registry) ViewOf(u Unit) View {
	v := View{Key: u.Key().String(), Code: u.Code, Name: u.Name, FullName: u.FullName(), Type: u.Type,
		Level: u.Level.String(), Legacy: u.Legacy, ParentCode: u.ParentCode, Population: u.Population}
	if !u.ValidFrom.IsZero() {
		v.ValidFrom = u.ValidFrom.String()
	}
	if !u.ValidTo.IsZero() {
		v.ValidTo = u.ValidTo.String()
	}
	if u.Legacy {
		if s, ok := r.Successor(u.Key().String()); ok {
			v.Successor = s.Key().String()
		}
	}
	return v
}

// Handlers of the units API. Administrative units are public reference
// data: these routes need no sign-in.

// HandleGet serves GET /api/v1/units/{key}.
func (r *Registry) HandleGet(w http.ResponseWriter, req *http.Request) error {
	key := req.PathValue("key")
	if _, err := ParseKey(key); err != nil {
		return problem.Field("key", "%q is not a unit code: 2 digits for a province, 5 for a commune, prefixed old: for pre-2025 units", key)
	}
	u, ok := r.Lookup(key)
	if !ok {
		return problem.New(problem.NotFound, "no administrative unit %s", key)
	}
	return writeJSON(w, r.ViewOf(u))
}

// HandleList serves GET /api/v1/units: a name search with ?q= (with or
// without diacritics; ?legacy=true for pre-2025 units), or the communes of a
// province with ?province=, or the provinces.
func (r *Registry) HandleList(w http.ResponseWriter, req *http.Request) error {
	qs := req.URL.Query()
	limit := 50
	if s := qs.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return problem.Field("limit", "must be a whole number from 1 to 500")
		}
		limit = n
	}
	var list []Unit
	switch {
	case qs.Get("q") != "":
		if qs.Get("legacy") == "true" {
			list = r.SearchLegacy(qs.Get("q"), limit)
		} else {
			list = r.Search(qs.Get("q"), limit)
		}
	case qs.Get("province") != "":
		p, ok := r.Lookup(qs.Get("province"))
		if !ok || p.Level != LevelProvince {
			return problem.Field("province", "%q is not the code of a province in force", qs.Get("province"))
		}
		list = r.Communes(p.Code)
	default:
		list = r.Provinces()
	}
	if len(list) > limit {
		list = list[:limit]
	}
	out := make([]View, len(list))
	for i, u := range list {
		out[i] = r.ViewOf(u)
	}
	return writeJSON(w, viewList{Items: out})
}

// viewList is the answer of HandleList, shaped as httpx.List.
type viewList struct {
	Items []View `json:"items"`
}

// writeJSON writes v with status 200 as httpx.WriteJSON does (the same bytes
// and headers). It is written out here, not taken from httpx, because units
// is vocabulary that record linkage and the register's types import, and
// httpx brings the server's metrics (Prometheus) with it.
func writeJSON(w http.ResponseWriter, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}
