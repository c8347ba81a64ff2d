// Package consentui is the citizen's consent page in the portal,
// /eid/me/consents: the members' requests to approve or decline, the
// consents in force to revoke, their signed receipts, and a form to give
// one.
package consentui

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/consent"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/web"
)

//go:embed templates/*.html messages/*.json
var files embed.FS

// Path is the page's path.
const Path = "/eid/me/consents"

const maxForm = 8 << 10

// Choices offers what the consent form chooses from (the exchange's
// catalogue: exchange.ConsentChoices).
type Choices interface {
	ConsentChoices(ctx context.Context) (exchange.ConsentChoices, error)
}

// Module returns the page over the store s. With choices, the form offers
// the members' systems, the purposes and the fields to choose; without,
// it asks for their codes.
func Module(s *consent.Store, choices Choices) web.Module {
	tpl, _ := fs.Sub(files, "templates")
	msgs, _ := fs.Sub(files, "messages")
	return web.Module{
		Name: "consent", Templates: tpl, Messages: msgs,
		Routes: func(k *web.Kit) []httpx.Route {
			pg := &page{k: k, s: s, choices: choices}
			citizen := func(pattern string, h func(http.ResponseWriter, *http.Request) error) httpx.Route {
				return httpx.Route{Pattern: pattern, Handler: k.Page(h), Access: httpx.AccessCitizenLevel2}
			}
			return []httpx.Route{
				citizen("GET "+Path, pg.show),
				citizen("POST "+Path, pg.give),
				citizen("POST "+Path+"/{id}/revoke", pg.revoke),
				citizen("POST "+Path+"/requests/{id}/{decision}", pg.decide),
			}
		},
	}
}

type page struct {
	k       *web.Kit
	s       *consent.Store
	choices Choices
}

// view is the page's data.
type view struct {
	CSRF     string
	Requests []consent.Request
	Records  []consent.Record
	Form     *web.Form
	Fields   []web.FormField
	// Choose: the form offers choices (else it asks for codes).
	Choose bool
}

func (pg *page) view(r *http.Request, f *web.Form) (view, error) {
	sess, ok := identity.SessionFrom(r.Context())
	if !ok {
		return view{}, problem.New(problem.Unauthorized, "sign in first")
	}
	pr := sess.Account.Principal("")
	v := view{CSRF: sess.CSRF, Form: f}
	var err error
	if v.Requests, err = pg.s.Requests(r.Context(), pr); err != nil {
		return v, err
	}
	if v.Records, err = pg.s.Records(r.Context(), pr); err != nil {
		return v, err
	}
	ch, err := pg.readChoices(r.Context())
	if err != nil {
		return v, err
	}
	v.Choose = ch != nil
	for _, x := range []struct{ name, input string }{{"client", "text"}, {"purpose", "text"}, {"purpose_description", "text"},
		{"fields", "text"}, {"valid_until", "date"}, {"data_life_days", "number"}, {"frequency_max", "number"}} {
		fl := f.Field(x.name, x.input, x.name != "data_life_days" && x.name != "frequency_max")
		fl.Label = "consent.field." + x.name
		if ch != nil {
			choose(&fl, f, ch)
		}
		f.SetLabel(x.name, fl.Label) // the error summary names it so too
		v.Fields = append(v.Fields, fl)
	}
	return v, nil
}

// readChoices reads the form's choices; nil without them, or when the
// catalogue offers no system to choose.
func (pg *page) readChoices(ctx context.Context) (*exchange.ConsentChoices, error) {
	if pg.choices == nil {
		return nil, nil
	}
	ch, err := pg.choices.ConsentChoices(ctx)
	if err != nil || len(ch.Clients) == 0 || len(ch.Purposes) == 0 || len(ch.Fields) == 0 {
		return nil, err
	}
	return &ch, nil
}

// choose makes a field of the form a choice among ch: the system and the
// purpose chosen in lists, the fields ticked, the purpose's description
// the catalogue's unless the citizen writes one.
func choose(fl *web.FormField, f *web.Form, ch *exchange.ConsentChoices) {
	pick := web.Option{Value: "", Key: "consent.choose"}
	switch fl.Name {
	case "client":
		fl.Type, fl.Label, fl.Options = "select", "consent.field.client_choice", []web.Option{pick}
		for _, c := range ch.Clients {
			fl.Options = append(fl.Options, web.Option{Value: c.Code, Text: c.Name + " — " + c.Code})
		}
	case "purpose":
		fl.Type, fl.Label, fl.Options = "select", "consent.field.purpose_choice", []web.Option{pick}
		for _, p := range ch.Purposes {
			name := p.Name // the catalogue's; a default purpose's in the page's language
			if m, ok := f.Message("purpose." + p.Code); ok {
				name = m
			}
			fl.Options = append(fl.Options, web.Option{Value: p.Code, Text: name + " (" + p.Code + ")"})
		}
	case "purpose_description":
		fl.Required, fl.Label = false, "consent.field.purpose_own"
	case "fields":
		fl.Type = "checkboxes"
		ticked := formFields(f.Values["fields"])
		for _, x := range ch.Fields {
			fl.Options = append(fl.Options, web.Option{Value: x, Key: "field." + x, Checked: slices.Contains(ticked, x)})
		}
	}
}

// formFields are the fields of the form: the boxes ticked, or a list of
// names separated by commas.
func formFields(values []string) []string {
	var out []string
	for _, v := range values {
		for x := range strings.SplitSeq(v, ",") {
			if x = strings.TrimSpace(x); x != "" && !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
	}
	return out
}

func (pg *page) show(w http.ResponseWriter, r *http.Request) error {
	v, err := pg.view(r, pg.k.NewForm(r, nil))
	if err != nil {
		return err
	}
	pg.k.Render(w, r, http.StatusOK, "consents", "consent.title", "", v)
	return nil
}

// give records the consent of the form; a rejected form is shown again
// with its errors.
func (pg *page) give(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	if err := pg.k.ParseForm(w, r, maxForm); err != nil {
		return err
	}
	f := pg.k.NewForm(r, r.PostForm)
	g := consent.Grant{Client: f.Get("client"), Purpose: f.Get("purpose"), PurposeText: f.Get("purpose_description"),
		Fields: formFields(r.PostForm["fields"]), Frequency: consent.Frequency{Period: consent.Month}}
	ch, err := pg.readChoices(r.Context())
	if err != nil {
		return err
	}
	for i := 0; g.PurposeText == "" && ch != nil && i < len(ch.Purposes); i++ {
		if ch.Purposes[i].Code == g.Purpose {
			g.PurposeText = ch.Purposes[i].Name
		}
	}
	var fe problem.Fields
	if d := f.Get("valid_until"); d != "" {
		t, err := time.ParseInLocation("2006-01-02", d, time.FixedZone("ICT", 7*3600))
		if err != nil {
			fe.Add("valid_until", "must be a date, YYYY-MM-DD")
		}
		g.ValidUntil = t.AddDate(0, 0, 1)
	}
	if s := f.Get("data_life_days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			fe.Add("data_life_days", "must be a whole number")
		}
		g.DataLifeDays = n
	}
	if s := f.Get("frequency_max"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			fe.Add("frequency_max", "must be a whole number")
		}
		g.Frequency.Max = n
	}
	if g.Frequency.Max == 0 {
		g.Frequency.Period = ""
	}
	// Chosen in lists, the organisation and the purpose are said to be
	// chosen, not written: the codes' syntax and the purpose's own
	// description, which follows from the purpose chosen, are not the
	// citizen's to mend.
	if ch != nil {
		if g.Client == "" {
			fe.Add("client", "choose the organisation")
		}
		if g.Purpose == "" {
			fe.Add("purpose", "choose the purpose")
		}
		// The rest of the form is checked too: one answer names every
		// mistake (the codes chosen in lists aside).
		if fe.Err() != nil {
			if verr := g.Validate(pg.s.Now(), false); verr != nil {
				var pe *problem.Error
				if errors.As(verr, &pe) {
					for _, x := range pe.Fields {
						if x.Field != "client" && x.Field != "purpose" && x.Field != "purpose_description" {
							fe.AddField(x)
						}
					}
				}
			}
		}
	}
	err = fe.Err()
	if err == nil {
		_, err = pg.s.Give(r.Context(), pr, g)
	}
	if err != nil {
		if !problem.Is(err, problem.Invalid) {
			return err
		}
		// The record's field names as the form names them.
		var pe *problem.Error
		if errors.As(err, &pe) {
			for i, x := range pe.Fields {
				if n, ok := recordNames[x.Field]; ok {
					pe.Fields[i].Field = n
				}
			}
		}
		f.AddProblem(err)
		v, verr := pg.view(r, f)
		if verr != nil {
			return verr
		}
		pg.k.Render(w, r, http.StatusUnprocessableEntity, "consents", "consent.title", "", v)
		return nil
	}
	pg.k.Flash(w, r, "flash.consent.given")
	http.Redirect(w, r, Path, http.StatusSeeOther)
	return nil
}

// recordNames are the record's field names the form names otherwise.
var recordNames = map[string]string{"frequency.max": "frequency_max", "frequency.period": "frequency_max"}

// confirmView is the page that asks before a consent is revoked.
type confirmView struct {
	CSRF   string
	Record consent.Record
}

// revoke revokes a consent once confirmed: the revoke button leads to a
// page that says what revoking means (it cannot be undone; sharing again
// needs a new consent) and sends confirmed=yes.
func (pg *page) revoke(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	if err := pg.k.ParseForm(w, r, maxForm); err != nil {
		return err
	}
	id := r.PathValue("id")
	if r.PostForm.Get("confirmed") != "yes" {
		recs, err := pg.s.Records(r.Context(), pr)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if rec.ID == id && rec.Status == consent.StatusActive {
				sess, _ := identity.SessionFrom(r.Context())
				pg.k.Render(w, r, http.StatusOK, "consent_revoke", "consent.revoke.title", "", confirmView{CSRF: sess.CSRF, Record: rec})
				return nil
			}
		}
		// Not one of the person's consents in force: the store's answer.
	}
	if _, err := pg.s.Revoke(r.Context(), pr, id); err != nil {
		return err
	}
	pg.k.Flash(w, r, "flash.consent.revoked")
	http.Redirect(w, r, Path, http.StatusSeeOther)
	return nil
}

func (pg *page) decide(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	var approve bool
	switch r.PathValue("decision") {
	case "approve":
		approve = true
	case "decline":
	default:
		return problem.New(problem.NotFound, "no such decision")
	}
	if _, err := pg.s.Decide(r.Context(), pr, r.PathValue("id"), approve); err != nil {
		return err
	}
	if approve {
		pg.k.Flash(w, r, "flash.consent.approved")
	} else {
		pg.k.Flash(w, r, "flash.consent.declined")
	}
	http.Redirect(w, r, Path, http.StatusSeeOther)
	return nil
}
