package registerui

import (
	"context"
	"net/http"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/web"
)

// eventSpec describes the form of one civil event: its fields, grouped,
// and how the submitted form becomes a call to the register. One template
// (event_form.html) renders them all.
type eventSpec struct {
	slug   string      // URL segment; message IDs are event.<slug>, flash.<slug>, …
	action auth.Action // only to list the form for roles that have it
	also   auth.Action // another action that lists it (an annulment: of a residence act)
	groups []fieldGroup
	// submit calls the register and returns the PIN of the person page to
	// show next. It returns errFormInvalid when the form itself could not
	// be read (its errors are already on f).
	submit func(ctx context.Context, reg Register, p auth.Principal, f *web.Form) (string, error)
	// prefill sets the defaults of a new form.
	prefill func(f *web.Form, p auth.Principal)
}

type fieldGroup struct {
	Legend string // message ID
	Fields []fieldSpec
}

type fieldSpec struct {
	Name     string
	Type     string
	Required bool
	Options  func() []web.Option
	Label    string // message ID of the label when field.<Name> is too vague
	Hint     string // message ID of the hint when hint.<Name> is another form's
}

var errFormInvalid = problem.New(problem.Invalid, "the form has mistakes")

// metaGroup is the part every civil event shares: when it took effect, why,
// and on what legal basis.
var metaGroup = fieldGroup{Legend: "legend.meta", Fields: []fieldSpec{
	{Name: "effective_date", Type: "date", Required: true},
	{Name: "reason", Type: "textarea", Required: true},
	{Name: "legal_basis", Type: "text", Required: true},
}}

func readMeta(f *web.Form) people.Meta {
	return people.Meta{Reason: f.Get("reason"), LegalBasis: f.Get("legal_basis"), Effective: f.Date("effective_date")}
}

// prefillMeta dates the event today, the usual case at a counter.
func prefillMeta(f *web.Form, _ auth.Principal) {
	f.Values.Set("effective_date", civil.InVietnam(time.Now()).VN())
}

var (
	sexOptions = func() []web.Option {
		return []web.Option{{Value: "M", Key: "sex.M"}, {Value: "F", Key: "sex.F"}}
	}
	relationOptions = func() []web.Option {
		out := []web.Option{{Value: "", Key: "option.default"}}
		for _, r := range people.Relations {
			out = append(out, web.Option{Value: string(r), Key: "relation." + string(r)})
		}
		return out
	}
	ethnicityOptions = func() []web.Option {
		out := []web.Option{{Value: "", Key: "option.choose"}}
		for _, e := range civil.Ethnicities() {
			out = append(out, web.Option{Value: e.Code, Text: e.Name})
		}
		return out
	}
	residenceKindOptions = func() []web.Option {
		return []web.Option{
			{Value: string(people.PermanentResidence), Key: "residence.permanent"},
			{Value: string(people.TemporaryResidence), Key: "residence.temporary"},
		}
	}
)

// eventForms are the civil-event forms, in menu order.
var eventForms = []*eventSpec{
	{
		slug: "birth", action: auth.RegisterBirth,
		groups: []fieldGroup{
			{Legend: "legend.child", Fields: []fieldSpec{
				{Name: "full_name", Type: "text", Required: true},
				{Name: "birth_date", Type: "date", Required: true},
				{Name: "sex", Type: "radio", Required: true, Options: sexOptions},
				{Name: "birth_place", Type: "unit", Required: true},
				{Name: "hometown", Type: "unit"},
				{Name: "ethnicity", Type: "select", Required: true, Options: ethnicityOptions},
				{Name: "nationality", Type: "text", Required: true},
			}},
			{Legend: "legend.parents", Fields: []fieldSpec{
				{Name: "mother_pin", Type: "pin"},
				{Name: "father_pin", Type: "pin"},
				{Name: "household_id", Type: "text"},
				{Name: "relation_to_head", Type: "select", Options: relationOptions},
			}},
			{Legend: "legend.declaration", Fields: []fieldSpec{
				{Name: "actual_birth_place.unit_code", Type: "unit"},
				{Name: "actual_birth_place.detail", Type: "text"},
				{Name: "declarant_name", Type: "text"},
				{Name: "declarant_relation", Type: "text"},
				{Name: "birth_certificate_number", Type: "text"},
			}},
			metaGroup,
		},
		prefill: func(f *web.Form, p auth.Principal) {
			prefillMeta(f, p)
			f.Values.Set("nationality", "VN")
			f.Values.Set("ethnicity", "01")
			if p.Scope() == auth.ScopeCommune {
				f.Values.Set("birth_place", p.Unit)
			}
		},
		submit: func(ctx context.Context, reg Register, p auth.Principal, f *web.Form) (string, error) {
			b := people.BirthRegistration{
				FullName: f.Get("full_name"), BirthDate: f.Date("birth_date"), Sex: f.Sex("sex"),
				BirthPlace: f.Get("birth_place"), Hometown: f.Get("hometown"),
				Ethnicity: f.Get("ethnicity"), Nationality: f.Get("nationality"),
				FatherPIN: f.Get("father_pin"), MotherPIN: f.Get("mother_pin"),
				HouseholdID: f.Get("household_id"), Relation: people.Relation(f.Get("relation_to_head")),
				ActualPlace:   people.Address{Unit: f.Get("actual_birth_place.unit_code"), Detail: f.Get("actual_birth_place.detail")},
				DeclarantName: f.Get("declarant_name"), DeclarantRelation: f.Get("declarant_relation"),
				CertificateNumber: f.Get("birth_certificate_number"),
				Meta:              readMeta(f),
			}
			if f.Failed() {
				return "", errFormInvalid
			}
			child, err := reg.RegisterBirth(ctx, p, b)
			return shown(child), err
		},
	},
	{
		slug: "death", action: auth.RegisterDeath,
		groups: []fieldGroup{
			{Legend: "legend.deceased", Fields: []fieldSpec{
				{Name: "pin", Type: "pin", Required: true},
				{Name: "death_date", Type: "date", Required: true},
			}},
			metaGroup,
		},
		prefill: prefillMeta,
		submit: func(ctx context.Context, reg Register, p auth.Principal, f *web.Form) (string, error) {
			d := people.DeathRegistration{PIN: f.Get("pin"), DeathDate: f.Date("death_date"), Meta: readMeta(f)}
			if f.Failed() {
				return "", errFormInvalid
			}
			person, err := reg.RegisterDeath(ctx, p, d)
			return shown(person), err
		},
	},
	{
		slug: "marriage", action: auth.RegisterMarriage,
		groups: []fieldGroup{{Legend: "legend.spouses", Fields: coupleFields("field.marriage_date")},
			// Asked by the register when a party's record is kept out of
			// the officer's reach (the marriage registered where the
			// other lives).
			{Legend: "legend.card", Fields: []fieldSpec{
				{Name: "card_number", Type: "text", Hint: "hint.card_number_party"},
				{Name: "card_issued", Type: "date"},
			}},
			metaGroup},
		prefill: prefillMeta,
		submit: func(ctx context.Context, reg Register, p auth.Principal, f *web.Form) (string, error) {
			m := people.MarriageRegistration{PIN1: f.Get("pin1"), PIN2: f.Get("pin2"), Date: f.Date("date"), Meta: readMeta(f),
				CardNumber: f.Get("card_number"), CardIssued: f.Date("card_issued")}
			if f.Failed() {
				return "", errFormInvalid
			}
			return firstPIN(reg.RegisterMarriage(ctx, p, m))
		},
	},
	{
		slug: "divorce", action: auth.RegisterMarriage,
		groups: []fieldGroup{
			{Legend: "legend.spouses", Fields: coupleFields("field.divorce_date")},
			{Legend: "legend.judgment", Fields: []fieldSpec{
				{Name: "court", Type: "text", Required: true},
				{Name: "judgment_number", Type: "text", Required: true},
				{Name: "judgment_date", Type: "date", Required: true},
			}},
			metaGroup,
		},
		prefill: prefillMeta,
		submit: func(ctx context.Context, reg Register, p auth.Principal, f *web.Form) (string, error) {
			d := people.DivorceRecord{PIN1: f.Get("pin1"), PIN2: f.Get("pin2"), Date: f.Date("date"), Meta: readMeta(f),
				Judgment: people.Judgment{Court: f.Get("court"), Number: f.Get("judgment_number"), Date: f.Date("judgment_date")}}
			if f.Failed() {
				return "", errFormInvalid
			}
			return firstPIN(reg.RecordDivorce(ctx, p, d))
		},
	},
	{
		slug: "residence", action: auth.RegisterResidence,
		groups: []fieldGroup{
			{Legend: "legend.residence", Fields: []fieldSpec{
				{Name: "pin", Type: "pin", Required: true},
				{Name: "kind", Type: "radio", Required: true, Options: residenceKindOptions},
				// Not asked when joining a household (its address is
				// taken): the register asks them otherwise.
				{Name: "address.unit_code", Type: "unit"},
				{Name: "address.detail", Type: "text"},
				{Name: "household_id", Type: "text"},
				{Name: "relation_to_head", Type: "select", Options: relationOptions},
			}},
			// Asked by the register of a person whose record is kept
			// out of the officer's reach (someone moving in).
			{Legend: "legend.card", Fields: []fieldSpec{
				{Name: "card_number", Type: "text"},
				{Name: "card_issued", Type: "date"},
			}},
			metaGroup,
		},
		prefill: func(f *web.Form, p auth.Principal) {
			prefillMeta(f, p)
			f.Values.Set("kind", string(people.PermanentResidence))
			if p.Scope() == auth.ScopeCommune {
				f.Values.Set("address.unit_code", p.Unit)
			}
		},
		submit: func(ctx context.Context, reg Register, p auth.Principal, f *web.Form) (string, error) {
			rr := people.ResidenceRegistration{
				PIN: f.Get("pin"), Kind: people.ResidenceKind(f.Get("kind")),
				Address:     people.Address{Unit: f.Get("address.unit_code"), Detail: f.Get("address.detail")},
				HouseholdID: f.Get("household_id"), Relation: people.Relation(f.Get("relation_to_head")),
				CardNumber: f.Get("card_number"), CardIssued: f.Date("card_issued"),
				Meta: readMeta(f),
			}
			if f.Failed() {
				return "", errFormInvalid
			}
			person, err := reg.RegisterResidence(ctx, p, rr)
			return shown(person), err
		},
	},
	{
		slug: "residence-removal", action: auth.RegisterResidence,
		groups: []fieldGroup{
			{Legend: "legend.residence", Fields: []fieldSpec{
				{Name: "pin", Type: "pin", Required: true},
				{Name: "kind", Type: "radio", Required: true, Options: residenceKindOptions},
			}},
			metaGroup,
		},
		prefill: prefillMeta,
		submit: func(ctx context.Context, reg Register, p auth.Principal, f *web.Form) (string, error) {
			rr := people.ResidenceRemoval{PIN: f.Get("pin"), Kind: people.ResidenceKind(f.Get("kind")), Meta: readMeta(f)}
			if f.Failed() {
				return "", errFormInvalid
			}
			person, err := reg.RemoveResidence(ctx, p, rr)
			return shown(person), err
		},
	},
	{
		slug: "correction", action: auth.CorrectRecord,
		groups: []fieldGroup{
			{Legend: "legend.correction", Fields: []fieldSpec{
				{Name: "pin", Type: "pin", Required: true},
				{Name: "full_name", Type: "text"},
				{Name: "birth_date", Type: "date"},
			}},
			metaGroup,
		},
		prefill: prefillMeta,
		submit: func(ctx context.Context, reg Register, p auth.Principal, f *web.Form) (string, error) {
			c := people.Correction{PIN: f.Get("pin"), Meta: readMeta(f)}
			// An empty field is left as it is, not corrected to nothing.
			if name := f.Get("full_name"); name != "" {
				c.FullName = &name
			}
			if f.Get("birth_date") != "" {
				d := f.Date("birth_date")
				c.BirthDate = &d
			}
			if f.Failed() {
				return "", errFormInvalid
			}
			person, err := reg.Correct(ctx, p, c)
			return shown(person), err
		},
	},
	{
		slug: "head-change", action: auth.RegisterResidence,
		groups: []fieldGroup{
			{Legend: "legend.head_change", Fields: []fieldSpec{
				{Name: "household_id", Type: "text", Required: true},
				{Name: "new_head_pin", Type: "pin", Required: true},
				{Name: "former_head_relation", Type: "select", Options: relationOptions},
			}},
			metaGroup,
		},
		prefill: prefillMeta,
		submit: func(ctx context.Context, reg Register, p auth.Principal, f *web.Form) (string, error) {
			hc := people.HeadChange{HouseholdID: f.Get("household_id"), NewHeadPIN: f.Get("new_head_pin"),
				FormerHeadRelation: people.Relation(f.Get("former_head_relation")), Meta: readMeta(f)}
			if f.Failed() {
				return "", errFormInvalid
			}
			person, err := reg.ChangeHead(ctx, p, hc)
			return shown(person), err
		},
	},
	{
		// An annulment is opened from the act in a person's history
		// (?pin=…&event_id=…); its check page shows the act.
		slug: "annulment", action: auth.CorrectRecord, also: auth.RegisterResidence,
		groups: []fieldGroup{
			{Legend: "legend.annulment", Fields: []fieldSpec{
				{Name: "pin", Type: "pin", Required: true},
				{Name: "event_id", Type: "text", Required: true},
			}},
			{Legend: "legend.meta", Fields: []fieldSpec{
				{Name: "effective_date", Type: "date", Required: true},
				{Name: "reason", Type: "textarea", Required: true},
				{Name: "legal_basis", Type: "text", Required: true},
			}},
		},
		prefill: prefillMeta,
		submit: func(ctx context.Context, reg Register, p auth.Principal, f *web.Form) (string, error) {
			a := people.Annulment{EventID: f.Get("event_id"), Meta: readMeta(f)}
			if f.Failed() {
				return "", errFormInvalid
			}
			person, err := reg.Annul(ctx, p, a)
			if err == nil && person.Version == 0 {
				// Shown only by PIN: back to the person asked about.
				return "", nil
			}
			return shown(person), err
		},
	},
}

// coupleFields are the fields of a marriage or divorce; dateLabel names
// what the date is.
func coupleFields(dateLabel string) []fieldSpec {
	return []fieldSpec{
		{Name: "pin1", Type: "pin", Required: true},
		{Name: "pin2", Type: "pin", Required: true},
		{Name: "date", Type: "date", Required: true, Label: dateLabel},
	}
}

func firstPIN(ps []people.Person, err error) (string, error) {
	if err != nil || len(ps) == 0 {
		return "", err
	}
	return shown(ps[0]), nil
}

// shown is the PIN of the person whose page follows an event, or "" when
// the event answered only with the PIN (a stored record has a version):
// the officer may not read that person, and is shown the events instead.
func shown(p people.Person) string {
	if p.Version == 0 {
		return ""
	}
	return p.PIN
}

// eventFormView is the data of event_form.html.
type eventFormView struct {
	Slug   string
	Form   *web.Form
	Groups []groupView
}

type groupView struct {
	Legend string
	Fields []web.FormField
}

func (ef *eventSpec) view(f *web.Form) eventFormView {
	v := eventFormView{Slug: ef.slug, Form: f}
	for _, g := range ef.groups {
		gv := groupView{Legend: g.Legend}
		for _, fs := range g.Fields {
			fv := f.Field(fs.Name, fs.Type, fs.Required)
			fv.Label, fv.Hint = fs.Label, fs.Hint
			if fs.Options != nil {
				fv.Options = fs.Options()
			}
			gv.Fields = append(gv.Fields, fv)
		}
		v.Groups = append(v.Groups, gv)
	}
	return v
}

// eventForm shows a new form, prefilled with the defaults and with what the
// link to it carries (?pin=… from a person page).
func (s *pages) eventForm(ef *eventSpec) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, _ := auth.FromContext(r.Context())
		f := s.kit.NewForm(r, nil)
		ef.prefill(f, p)
		for name, vs := range r.URL.Query() {
			f.Values[name] = vs
		}
		s.kit.Render(w, r, http.StatusOK, "event_form", "event."+ef.slug, "events", ef.view(f))
		return nil
	}
}

// maxFormBytes bounds a civil-event form; the largest holds a few hundred
// characters.
const maxFormBytes = 64 << 10

// eventSubmit records the event and shows the person, or shows the form
// again with its errors and the officer's input.
func (s *pages) eventSubmit(ef *eventSpec) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, _ := auth.FromContext(r.Context())
		if err := s.kit.ParseForm(w, r, maxFormBytes); err != nil {
			return err
		}
		f := s.kit.NewForm(r, r.PostForm)
		joinDates(f, ef.fieldsOfType("date"))
		switch r.PostForm.Get("step") {
		case stepEdit:
			s.kit.Render(w, r, http.StatusOK, "event_form", "event."+ef.slug, "events", ef.view(f))
			return nil
		case stepCommit:
		default:
			v, err := s.check(r.Context(), ef, p, f)
			if err != nil {
				return err
			}
			if f.Failed() {
				s.kit.Render(w, r, http.StatusUnprocessableEntity, "event_form", "event."+ef.slug, "events", ef.view(f))
				return nil
			}
			// The register decides now what it would refuse at the
			// confirmation (a birth before a parent's, a deceased person
			// marrying): the check page is shown only for an event that
			// would be registered.
			if _, err := ef.submit(register.WithDryRun(r.Context()), s.reg, p, f); err != nil {
				return s.refused(w, r, ef, f, err)
			}
			s.kit.Render(w, r, http.StatusOK, "event_check", "event."+ef.slug, "events", v)
			return nil
		}
		pin, err := ef.submit(r.Context(), s.reg, p, f)
		if err == nil {
			s.kit.Flash(w, r, "flash."+ef.slug)
			if pin == "" {
				http.Redirect(w, r, "/register/events", http.StatusSeeOther)
				return nil
			}
			http.Redirect(w, r, "/register/persons/"+pin, http.StatusSeeOther)
			return nil
		}
		return s.refused(w, r, ef, f, err)
	}
}

// refused shows the event's form again with what the register said is
// wrong and the officer's input, or returns err when it is no such answer.
// A refusal too (a person out of reach, or not in the register: one
// answer) comes back on the form.
func (s *pages) refused(w http.ResponseWriter, r *http.Request, ef *eventSpec, f *web.Form, err error) error {
	switch kind := problem.KindOf(err); kind {
	case problem.Invalid, problem.Conflict, problem.NotFound, problem.Forbidden:
		if err != errFormInvalid {
			f.AddProblem(err)
		}
		s.kit.Render(w, r, kind.Status(), "event_form", "event."+ef.slug, "events", ef.view(f))
		return nil
	}
	return err
}

// eventIndex lists the civil-event forms the officer's role may use.
func (s *pages) eventIndex(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	s.kit.Render(w, r, http.StatusOK, "events", "nav.events", "events", allowedEvents(p))
	return nil
}
