// Package exchangeui is the administrators' page of the data exchange
// (package exchange): the members within reach with their subsystems,
// the catalogue of services and purposes, the rights; members and
// subsystems added, members' services published and removed, rights
// granted and withdrawn, client certificates issued, and members,
// subsystems or certificates revoked from it.
package exchangeui

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/web"
)

//go:embed templates/*.html messages/*.json
var files embed.FS

// Module returns the page /exchange with its menu entry.
func Module(x *exchange.Exchange) web.Module {
	tpl, _ := fs.Sub(files, "templates")
	msgs, _ := fs.Sub(files, "messages")
	return web.Module{
		Name: "exchange", Templates: tpl, Messages: msgs,
		Menu: []web.MenuEntry{{Path: "/exchange", Label: "exchangeui.nav", Nav: "exchange", Actions: []auth.Action{exchange.ManageExchange}}},
		Routes: func(k *web.Kit) []httpx.Route {
			p := &pages{k: k, x: x}
			return []httpx.Route{
				k.StaffPage("GET /exchange", p.list),
				k.StaffPage("POST /exchange/members", p.handle(p.add())),
				k.StaffPage("POST /exchange/subsystems", p.handle(p.addSubsystem())),
				k.StaffPage("POST /exchange/services", p.handle(p.publish())),
				k.StaffPage("POST /exchange/services/remove", p.handle(p.removeService())),
				k.StaffPage("POST /exchange/rights", p.handle(p.grant())),
				k.StaffPage("POST /exchange/rights/withdraw", p.handle(p.withdraw())),
				k.StaffPage("POST /exchange/certificates", p.certificate),
				k.StaffPage("POST /exchange/certificates/revoke", p.handle(p.revokeCertificate())),
				k.StaffPage("POST /exchange/revoke", p.handle(p.revoke())),
			}
		},
	}
}

type pages struct {
	k *web.Kit
	x *exchange.Exchange
}

type view struct {
	exchange.Manage
	// Form adds a member; Subsystem and Right are the fields of the forms
	// that add a subsystem and grant a right, with their forms.
	Form                   *web.Form
	SubsystemForm          *web.Form
	RightForm              *web.Form
	Subsystem, RightFields []web.FormField
	// FieldsOf are the fields of each service the grant form offers
	// (exchange.js shows those of the service chosen).
	FieldsOf map[string][]string
	// CertificateForm issues a certificate for a member's signing request.
	CertificateForm   *web.Form
	CertificateFields []web.FormField
	// ServiceForm publishes a member's service.
	ServiceForm   *web.Form
	ServiceFields []web.FormField
}

// forms are the page's forms, one of them possibly sent back with its
// errors.
type forms struct{ member, subsystem, right, certificate, service *web.Form }

func (p *pages) render(w http.ResponseWriter, r *http.Request, status int, all forms) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	m, err := p.x.Overview(r.Context(), pr)
	if err != nil {
		return err
	}
	if all.member == nil {
		all.member = p.k.NewForm(r, url.Values{"unit_code": {pr.Unit}})
	}
	if all.subsystem == nil {
		all.subsystem = p.k.NewForm(r, nil)
	}
	if all.right == nil {
		all.right = p.k.NewForm(r, nil)
	}
	if all.certificate == nil {
		all.certificate = p.k.NewForm(r, nil)
	}
	if all.service == nil {
		all.service = p.k.NewForm(r, nil)
	}
	v := view{Manage: m, Form: all.member, SubsystemForm: all.subsystem, RightForm: all.right, CertificateForm: all.certificate, ServiceForm: all.service}
	v.Subsystem, v.RightFields = subsystemFields(all.subsystem, m), rightFields(all.right, m)
	v.FieldsOf = map[string][]string{}
	for _, s := range m.Services {
		if m.Provides(s.ID) {
			v.FieldsOf[s.ID] = s.Fields
		}
	}
	v.CertificateFields, v.ServiceFields = certificateFields(all.certificate, m), serviceFields(all.service, m)
	p.k.Render(w, r, status, "exchange", "exchangeui.title", "exchange", v)
	return nil
}

// subsystemFields are the fields of the form adding a subsystem: its
// member (those within reach, active), its code, its name, its public key.
func subsystemFields(f *web.Form, m exchange.Manage) []web.FormField {
	member := f.Field("subsystem_member", "select", true)
	member.Options = []web.Option{{Value: "", Key: "exchangeui.choose"}}
	for _, x := range m.Members {
		if x.RevokedAt.IsZero() {
			member.Options = append(member.Options, web.Option{Value: x.ID, Text: x.Name + " — " + x.ID})
		}
	}
	return []web.FormField{member, f.Field("subsystem_code", "text", true), f.Field("subsystem_name", "text", true), f.Field("public_jwk", "textarea", false)}
}

// rightFields are the fields of the form granting a right: the subsystem
// (active, within reach), the service (of a member within reach), the
// fields and the purposes. The fields are every service's, those of the
// service chosen alone shown (the services table links to the form with
// it chosen; exchange.js shows the fields of the one chosen in the list);
// the exchange refuses a field that is not the service's.
func rightFields(f *web.Form, m exchange.Manage) []web.FormField {
	sub := subsystemChoice(f, "right_subsystem", m)
	svc := f.Field("right_service", "select", true)
	svc.Options = []web.Option{{Value: "", Key: "exchangeui.choose"}}
	var chosen *exchange.Service
	var all []string
	for i, s := range m.Services {
		if !m.Provides(s.ID) {
			continue
		}
		svc.Options = append(svc.Options, web.Option{Value: s.ID, Text: s.Title + " — " + s.ID})
		if s.ID == f.Get("right_service") {
			chosen = &m.Services[i]
		}
		for _, x := range s.Fields {
			if !slices.Contains(all, x) {
				all = append(all, x)
			}
		}
	}
	fields := f.Field("right_fields", "checkboxes", true)
	for _, x := range all {
		o := web.Option{Value: x, Text: x, Checked: slices.Contains(f.Values["right_fields"], x), Hidden: chosen != nil && !slices.Contains(chosen.Fields, x)}
		if exchange.IsRegisterField(x) {
			o.Key = "field." + x
		}
		fields.Options = append(fields.Options, o)
	}
	purposes := f.Field("right_purposes", "checkboxes", true)
	for _, x := range m.Purposes {
		// The catalogue's name, or the page's language's for a default
		// purpose (purpose.<code>).
		purposes.Options = append(purposes.Options, web.Option{Value: x.Code, Key: "purpose." + x.Code, Text: x.Name, Suffix: "(" + x.Code + ")",
			Checked: slices.Contains(f.Values["right_purposes"], x.Code)})
	}
	return []web.FormField{sub, svc, fields, purposes}
}

// certificateFields are the fields of the form issuing a certificate for
// a signing request: the subsystem (active, within reach) and the request.
func certificateFields(f *web.Form, m exchange.Manage) []web.FormField {
	sub := subsystemChoice(f, "id", m)
	sub.Label = "field.right_subsystem"
	return []web.FormField{sub, f.Field("csr", "textarea", true)}
}

// serviceFields are the fields of the form publishing a member's service:
// the providing subsystem (active, within reach), the service's code and
// title, the member's base URL, the fields it can disclose, its endpoints
// and its OpenAPI description.
func serviceFields(f *web.Form, m exchange.Manage) []web.FormField {
	return []web.FormField{subsystemChoice(f, "service_provider", m), f.Field("service_code", "text", true), f.Field("service_title", "text", true),
		f.Field("base_url", "text", true), f.Field("service_fields", "text", true), f.Field("endpoints", "textarea", false), f.Field("openapi", "textarea", true)}
}

// subsystemChoice is a list of the active subsystems within reach, the
// field name of f.
func subsystemChoice(f *web.Form, name string, m exchange.Manage) web.FormField {
	sub := f.Field(name, "select", true)
	sub.Options = []web.Option{{Value: "", Key: "exchangeui.choose"}}
	for _, s := range m.Subsystems {
		if s.RevokedAt.IsZero() {
			sub.Options = append(sub.Options, web.Option{Value: s.ID, Text: s.Name + " — " + s.ID})
		}
	}
	return sub
}

func (p *pages) list(w http.ResponseWriter, r *http.Request) error {
	var all forms
	if svc := r.URL.Query().Get("service"); svc != "" {
		all.right = p.k.NewForm(r, url.Values{"right_service": {svc}})
	}
	return p.render(w, r, http.StatusOK, all)
}

// refused sends a form back with the exchange's error on its fields,
// named as the form names them; another error is the page's.
func (p *pages) refused(w http.ResponseWriter, r *http.Request, f *web.Form, err error, names map[string]string, all forms) error {
	if !problem.Is(err, problem.Invalid) {
		return err
	}
	var pe *problem.Error
	if errors.As(err, &pe) {
		for i, fe := range pe.Fields {
			if n, ok := names[fe.Field]; ok {
				pe.Fields[i].Field = n
			}
		}
	}
	f.AddProblem(err)
	return p.render(w, r, http.StatusUnprocessableEntity, all)
}

// change is a form that changes the exchange: act does it for the
// administrator; the page then says flash. A refusal of the form's
// values (Invalid) sends it back, in its place on the page (place), the
// exchange's field names mapped to the form's (names); without a place,
// the refusal is the page's.
type change struct {
	max   int64
	flash string
	names map[string]string
	place func(*web.Form) forms
	act   func(r *http.Request, pr auth.Principal, f *web.Form) error
	// confirm, for a change that cannot be undone, is the message that
	// warns of it (its argument the form's field subject): the form is
	// answered with a page asking to confirm, and acted on only when sent
	// again with confirmed=yes.
	confirm, subject string
}

// confirmView is the page that asks to confirm a change.
type confirmView struct {
	Action, Warning, Subject string
	Values                   [][2]string
}

// handle is c's handler.
func (p *pages) handle(c change) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := p.k.ParseForm(w, r, c.max); err != nil {
			return err
		}
		pr, err := auth.MustFromContext(r.Context())
		if err != nil {
			return err
		}
		f := p.k.NewForm(r, r.PostForm)
		if c.confirm != "" && f.Get("confirmed") != "yes" {
			v := confirmView{Action: r.URL.Path, Warning: c.confirm, Subject: f.Get(c.subject)}
			for name, vals := range r.PostForm {
				if name != httpx.CSRFField && name != "confirmed" {
					for _, x := range vals {
						v.Values = append(v.Values, [2]string{name, x})
					}
				}
			}
			p.k.Render(w, r, http.StatusOK, "exchange_confirm", "exchangeui.confirm.title", "", v)
			return nil
		}
		if err := c.act(r, pr, f); err != nil {
			if c.place == nil {
				return err
			}
			return p.refused(w, r, f, err, c.names, c.place(f))
		}
		p.k.Flash(w, r, c.flash)
		http.Redirect(w, r, "/exchange", http.StatusSeeOther)
		return nil
	}
}

// memberNames maps the exchange's field names to the member form's.
var memberNames = map[string]string{"id": "member_id", "name": "member_name"}

// required refuses a form whose required fields (names) are empty, every
// one named at once: an empty form comes back with all its mistakes.
func required(f *web.Form, names ...string) error {
	var fe problem.Fields
	for _, n := range names {
		if strings.TrimSpace(strings.Join(f.Values[n], "")) == "" {
			fe.Add(n, "is required")
		}
	}
	return fe.Err()
}

// withFields is err with the field errors of more added (both problems of
// invalid values; more may be nil).
func withFields(err, more error) error {
	var pe, pm *problem.Error
	if errors.As(err, &pe) && errors.As(more, &pm) {
		pe.Fields = append(pe.Fields, pm.Fields...)
	}
	return err
}

func (p *pages) add() change {
	return change{max: 16 << 10, flash: "flash.exchange.added", names: memberNames, place: func(f *web.Form) forms { return forms{member: f} },
		act: func(r *http.Request, pr auth.Principal, f *web.Form) error {
			if err := required(f, "member_id", "member_name", "unit_code"); err != nil {
				return err
			}
			_, err := p.x.AdminAddMember(r.Context(), pr, exchange.Member{ID: f.Get("member_id"), Name: f.Get("member_name"), Unit: f.Get("unit_code")})
			return err
		}}
}

func (p *pages) addSubsystem() change {
	return change{max: 32 << 10, flash: "flash.exchange.subsystem", names: map[string]string{"id": "subsystem_code", "name": "subsystem_name"},
		place: func(f *web.Form) forms { return forms{subsystem: f} },
		act: func(r *http.Request, pr auth.Principal, f *web.Form) error {
			if err := required(f, "subsystem_member"); err != nil {
				// The rest checked too: an empty form comes back with all
				// its mistakes.
				return withFields(err, exchange.CheckSubsystemParts(f.Get("subsystem_code"), f.Get("subsystem_name"), []byte(f.Get("public_jwk"))))
			}
			_, err := p.x.AdminAddSubsystem(r.Context(), pr, f.Get("subsystem_member")+"/"+f.Get("subsystem_code"), f.Get("subsystem_name"), []byte(f.Get("public_jwk")))
			return err
		}}
}

// publish publishes a member's service; the form is at most the largest
// OpenAPI description and 64 KiB for the rest.
func (p *pages) publish() change {
	return change{max: exchange.MaxOpenAPI + 64<<10, flash: "flash.exchange.published",
		names: map[string]string{"id": "service_code", "title": "service_title", "fields": "service_fields"},
		place: func(f *web.Form) forms { return forms{service: f} },
		act: func(r *http.Request, pr auth.Principal, f *web.Form) error {
			if err := required(f, "service_provider", "service_code", "service_title", "base_url", "service_fields", "openapi"); err != nil {
				return err
			}
			var eps []exchange.Endpoint
			for line := range strings.Lines(f.Get("endpoints")) {
				if line = strings.TrimSpace(line); line != "" {
					m, path, _ := strings.Cut(line, " ")
					eps = append(eps, exchange.Endpoint{Method: strings.ToUpper(m), Path: strings.TrimSpace(path)})
				}
			}
			var fields []string
			for x := range strings.SplitSeq(f.Get("service_fields"), ",") {
				if x = strings.TrimSpace(x); x != "" {
					fields = append(fields, x)
				}
			}
			return p.x.AdminAddService(r.Context(), pr, exchange.Service{ID: f.Get("service_provider") + "/" + f.Get("service_code"), Title: f.Get("service_title"),
				Fields: fields, Methods: eps, BaseURL: f.Get("base_url"), OpenAPI: []byte(f.Get("openapi"))})
		}}
}

func (p *pages) removeService() change {
	return change{max: 4 << 10, flash: "flash.exchange.service_removed", act: func(r *http.Request, pr auth.Principal, f *web.Form) error {
		return p.x.AdminRemoveService(r.Context(), pr, f.Get("id"))
	}}
}

func (p *pages) grant() change {
	return change{max: 16 << 10, flash: "flash.exchange.granted",
		names: map[string]string{"subsystem_id": "right_subsystem", "service_id": "right_service", "fields": "right_fields", "purposes": "right_purposes"},
		place: func(f *web.Form) forms { return forms{right: f} },
		act: func(r *http.Request, pr auth.Principal, f *web.Form) error {
			right := exchange.Right{Subsystem: f.Get("right_subsystem"), Service: f.Get("right_service"), Fields: f.Values["right_fields"], Purposes: f.Values["right_purposes"]}
			if err := required(f, "right_subsystem", "right_service", "right_fields", "right_purposes"); err != nil {
				return err
			}
			return p.x.AdminGrant(r.Context(), pr, right)
		}}
}

func (p *pages) withdraw() change {
	return change{max: 4 << 10, flash: "flash.exchange.withdrawn", act: func(r *http.Request, pr auth.Principal, f *web.Form) error {
		return p.x.AdminWithdrawRight(r.Context(), pr, f.Get("subsystem"), f.Get("service"))
	}}
}

func (p *pages) revoke() change {
	return change{max: 4 << 10, flash: "flash.exchange.revoked", confirm: "exchangeui.confirm.revoke", subject: "id",
		act: func(r *http.Request, pr auth.Principal, f *web.Form) error {
			return p.x.AdminRevoke(r.Context(), pr, f.Get("id"))
		}}
}

func (p *pages) revokeCertificate() change {
	return change{max: 4 << 10, flash: "flash.exchange.certificate_revoked", confirm: "exchangeui.confirm.certificate", subject: "serial",
		act: func(r *http.Request, pr auth.Principal, f *web.Form) error {
			return p.x.AdminRevokeCertificate(r.Context(), pr, f.Get("serial"))
		}}
}

// certificate issues a client certificate to a subsystem and answers it
// as a file to download: the private key (which Populus does not keep) or
// none (for a signing request's key), the certificate and the CA's, in
// PEM. A signing request refused is sent back with its error.
func (p *pages) certificate(w http.ResponseWriter, r *http.Request) error {
	if err := p.k.ParseForm(w, r, 16<<10); err != nil {
		return err
	}
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	id := r.PostForm.Get("id")
	iss, err := p.x.AdminIssueCertificate(r.Context(), pr, id, []byte(strings.TrimSpace(r.PostForm.Get("csr"))))
	if err != nil {
		f := p.k.NewForm(r, r.PostForm)
		return p.refused(w, r, f, err, map[string]string{"subsystem": "id"}, forms{certificate: f})
	}
	ca, err := p.x.CACertificate(r.Context())
	if err != nil {
		return err
	}
	name := strings.ReplaceAll(id, "/", "_") + ".pem"
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	if len(iss.KeyPEM) > 0 {
		fmt.Fprintf(w, "Populus data exchange: the client certificate of %s, serial %s, its private key and the exchange CA's certificate.\n"+
			"Keep the private key secret: Populus does not keep it. curl --cert %s --cacert %s (this file for both).\n\n", id, iss.Serial, name, name)
		w.Write(iss.KeyPEM)
	} else {
		fmt.Fprintf(w, "Populus data exchange: the client certificate of %s, serial %s, for the key of your signing request, and the exchange CA's certificate.\n\n", id, iss.Serial)
	}
	w.Write(iss.CertPEM)
	_, err = w.Write(ca)
	return err
}
