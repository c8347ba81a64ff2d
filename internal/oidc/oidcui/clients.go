package oidcui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/web"
)

// The administrators' page of relying parties: every field of a
// registration can be seen and set here as with populus clients add; a
// client is edited (a new version, audited) and disabled here too.

// clientsView is the list of relying parties and the form to add one (or,
// on a client's own page, to edit it), and the secret of the one just
// added (shown once).
type clientsView struct {
	Clients []oidc.ClientConfig
	Form    *web.Form
	Groups  []fieldGroup
	// Editing is the id of the client the form edits ("": a new one),
	// Version its version once saved.
	Editing string
	Version int
	Added   string
	Secret  string
}

// fieldGroup is one fieldset of the form.
type fieldGroup struct {
	Legend string
	Fields []web.FormField
}

// The relying-party form's fields: named as the registration's JSON
// members, so that a problem's fields land on them.
const (
	fieldClientID     = "client_id"
	fieldName         = "name"
	fieldAuth         = "auth_method"
	fieldRedirects    = "redirect_uris"
	fieldLogouts      = "post_logout_redirect_uris"
	fieldScopes       = "scopes"
	fieldEssential    = "essential_scopes"
	fieldMinLevel     = "min_level"
	fieldJWKS         = "jwks"
	fieldPAR          = "par_required"
	fieldSector       = "sector_identifier"
	fieldIDTokenAlg   = "id_token_signed_response_alg"
	fieldIDTokenEnc   = "id_token_encrypted_response_alg"
	fieldIDTokenEncC  = "id_token_encrypted_response_enc"
	fieldUserinfoAlg  = "userinfo_signed_response_alg"
	fieldUserinfoEnc  = "userinfo_encrypted_response_alg"
	fieldUserinfoEncC = "userinfo_encrypted_response_enc"
	fieldVerify       = "verify"
	fieldPurposes     = "verify_purposes"

	inputText, inputTextarea, inputSelect = "text", "textarea", "select"
)

// maxClientForm bounds the form: a pasted key set takes a few KB.
const maxClientForm = 64 << 10

func texts(values ...string) []web.Option {
	out := make([]web.Option, len(values))
	for i, v := range values {
		out[i] = web.Option{Value: v, Text: v}
	}
	return out
}

func withDefault(key string, o []web.Option) []web.Option {
	return append([]web.Option{{Value: "", Key: key}}, o...)
}

var yesNo = []web.Option{{Value: "", Key: "oidc.clients.no"}, {Value: "1", Key: "oidc.clients.yes"}}

// clientField is one field of the form: its name, input type, whether it
// is required, and its options.
type clientField struct {
	name, typ string
	required  bool
	options   []web.Option
}

// clientGroups are the form's fieldsets: each field's name, input type,
// whether it is required, and its options.
var clientGroups = []struct {
	legend string
	fields []clientField
}{
	{"oidc.clients.group.client", []clientField{
		{fieldClientID, inputText, true, nil},
		{fieldName, inputText, true, nil},
		{fieldRedirects, inputTextarea, true, nil},
		{fieldLogouts, inputTextarea, false, nil},
		{fieldScopes, inputText, true, nil},
		{fieldEssential, inputText, false, nil},
		{fieldMinLevel, inputSelect, true, texts("1", "2")},
		{fieldSector, inputText, false, nil},
	}},
	{"oidc.clients.group.security", []clientField{
		{fieldAuth, inputSelect, true, texts(oidc.AuthSecretBasic, oidc.AuthPrivateKeyJWT)},
		{fieldJWKS, inputTextarea, false, nil},
		{fieldPAR, inputSelect, false, yesNo},
	}},
	{"oidc.clients.group.tokens", []clientField{
		{fieldIDTokenAlg, inputSelect, false, texts("RS256", "ES256")},
		{fieldIDTokenEnc, inputSelect, false, withDefault("oidc.clients.not_encrypted", texts("RSA-OAEP-256", "ECDH-ES+A256KW"))},
		{fieldIDTokenEncC, inputSelect, false, withDefault("oidc.clients.default_enc", texts("A256GCM", "A128CBC-HS256"))},
		{fieldUserinfoAlg, inputSelect, false, withDefault("oidc.clients.plain_json", texts("RS256", "ES256"))},
		{fieldUserinfoEnc, inputSelect, false, withDefault("oidc.clients.not_encrypted", texts("RSA-OAEP-256", "ECDH-ES+A256KW"))},
		{fieldUserinfoEncC, inputSelect, false, withDefault("oidc.clients.default_enc", texts("A256GCM", "A128CBC-HS256"))},
	}},
	{"oidc.clients.group.verify", []clientField{
		{fieldVerify, inputSelect, false, yesNo},
		{fieldPurposes, inputTextarea, false, nil},
	}},
}

func (pg *pages) clientsView(r *http.Request, pr auth.Principal, f *web.Form, editing string) (clientsView, error) {
	v := clientsView{Form: f, Editing: editing}
	if editing == "" {
		list, err := pg.p.ListClients(r.Context(), pr)
		if err != nil {
			return clientsView{}, err
		}
		v.Clients = list
	}
	for _, g := range clientGroups {
		fg := fieldGroup{Legend: g.legend}
		for _, x := range g.fields {
			if x.name == fieldClientID && editing != "" {
				continue // the id is the page's
			}
			ff := f.Labelled(x.name, x.typ, x.required, "oidc.clients.field."+x.name)
			ff.Options, ff.Hint = x.options, "oidc.clients.hint."+x.name
			fg.Fields = append(fg.Fields, ff)
		}
		v.Groups = append(v.Groups, fg)
	}
	return v, nil
}

// formValues are the form's values of a registration.
func formValues(f *web.Form, c oidc.ClientConfig) {
	set := f.Values.Set
	set(fieldClientID, c.ID)
	set(fieldName, c.Name)
	set(fieldAuth, c.AuthMethod)
	set(fieldRedirects, strings.Join(c.RedirectURIs, "\n"))
	set(fieldLogouts, strings.Join(c.PostLogoutRedirectURIs, "\n"))
	set(fieldScopes, strings.Join(c.Scopes, " "))
	set(fieldEssential, strings.Join(c.Essential, " "))
	set(fieldMinLevel, strconv.Itoa(max(c.MinLevel, 1)))
	set(fieldJWKS, string(c.JWKS))
	set(fieldPAR, map[bool]string{true: "1"}[c.PARRequired])
	set(fieldSector, c.Sector)
	set(fieldIDTokenAlg, c.IDTokenAlg)
	set(fieldIDTokenEnc, c.IDTokenEncAlg)
	set(fieldIDTokenEncC, c.IDTokenEnc)
	set(fieldUserinfoAlg, c.UserinfoAlg)
	set(fieldUserinfoEnc, c.UserinfoEncAlg)
	set(fieldUserinfoEncC, c.UserinfoEnc)
	set(fieldVerify, map[bool]string{true: "1"}[c.Verify])
	set(fieldPurposes, strings.Join(c.Purposes, "\n"))
}

// configOf is the registration the form describes; the registry checks
// it (no level is level 1; one that is no number is given as -1, which it
// refuses).
func configOf(f *web.Form, id string) oidc.ClientConfig {
	level, err := strconv.Atoi(f.Get(fieldMinLevel))
	if err != nil && f.Get(fieldMinLevel) != "" {
		level = -1
	}
	var purposes []string
	for _, line := range strings.Split(f.Get(fieldPurposes), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			purposes = append(purposes, line)
		}
	}
	c := oidc.ClientConfig{ID: id, Name: f.Get(fieldName), AuthMethod: f.Get(fieldAuth),
		RedirectURIs: strings.Fields(f.Get(fieldRedirects)), PostLogoutRedirectURIs: strings.Fields(f.Get(fieldLogouts)),
		Scopes: strings.Fields(f.Get(fieldScopes)), Essential: strings.Fields(f.Get(fieldEssential)), MinLevel: level,
		PARRequired: f.Get(fieldPAR) == "1", Sector: f.Get(fieldSector),
		IDTokenAlg: f.Get(fieldIDTokenAlg), IDTokenEncAlg: f.Get(fieldIDTokenEnc), IDTokenEnc: f.Get(fieldIDTokenEncC),
		UserinfoAlg: f.Get(fieldUserinfoAlg), UserinfoEncAlg: f.Get(fieldUserinfoEnc), UserinfoEnc: f.Get(fieldUserinfoEncC),
		Verify: f.Get(fieldVerify) == "1", Purposes: purposes}
	if c.AuthMethod == "" {
		c.AuthMethod = oidc.AuthSecretBasic
	}
	if j := f.Get(fieldJWKS); j != "" {
		c.JWKS = []byte(j)
	}
	return c
}

func (pg *pages) clients(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	f := pg.k.NewForm(r, nil)
	formValues(f, oidc.ClientConfig{AuthMethod: oidc.AuthSecretBasic, Scopes: []string{"openid", "profile"}, MinLevel: 1, IDTokenAlg: "RS256"})
	v, err := pg.clientsView(r, pr, f, "")
	if err != nil {
		return err
	}
	pg.k.Render(w, r, http.StatusOK, "clients", "oidc.clients.title", "oidc", v)
	return nil
}

func (pg *pages) clientSubmit(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	if err := pg.k.ParseForm(w, r, maxClientForm); err != nil {
		return err
	}
	f := pg.k.NewForm(r, r.PostForm)
	cfg := configOf(f, f.Get(fieldClientID))
	secret, err := pg.p.RegisterClient(r.Context(), pr, cfg)
	status := http.StatusCreated
	if err != nil {
		if problem.KindOf(err) != problem.Invalid {
			return err
		}
		f.AddProblem(err)
		status = http.StatusUnprocessableEntity
	} else {
		f = pg.k.NewForm(r, nil)
		formValues(f, oidc.ClientConfig{AuthMethod: oidc.AuthSecretBasic, Scopes: []string{"openid", "profile"}, MinLevel: 1, IDTokenAlg: "RS256"})
	}
	v, verr := pg.clientsView(r, pr, f, "")
	if verr != nil {
		return verr
	}
	if err == nil {
		v.Added, v.Secret = cfg.ID, secret
	}
	pg.k.Render(w, r, status, "clients", "oidc.clients.title", "oidc", v)
	return nil
}

// clientEdit shows a client's registration in the form.
func (pg *pages) clientEdit(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	c, err := pg.p.ClientConfig(r.Context(), pr, r.PathValue("id"))
	if err != nil {
		return err
	}
	f := pg.k.NewForm(r, nil)
	formValues(f, c)
	v, err := pg.clientsView(r, pr, f, c.ID)
	if err != nil {
		return err
	}
	pg.k.Render(w, r, http.StatusOK, "client", "oidc.clients.edit_title", "oidc", v)
	return nil
}

// clientUpdate saves the form as the client's new version.
func (pg *pages) clientUpdate(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	if err := pg.k.ParseForm(w, r, maxClientForm); err != nil {
		return err
	}
	id := r.PathValue("id")
	f := pg.k.NewForm(r, r.PostForm)
	version, secret, err := pg.p.UpdateClient(r.Context(), pr, configOf(f, id))
	status := http.StatusOK
	if err != nil {
		if problem.KindOf(err) != problem.Invalid {
			return err
		}
		f.AddProblem(err)
		status = http.StatusUnprocessableEntity
	}
	v, verr := pg.clientsView(r, pr, f, id)
	if verr != nil {
		return verr
	}
	if err == nil {
		v.Version, v.Added, v.Secret = version, map[bool]string{true: id}[secret != ""], secret
	}
	pg.k.Render(w, r, status, "client", "oidc.clients.edit_title", "oidc", v)
	return nil
}

// clientDisable withdraws a client and goes back to the list.
func (pg *pages) clientDisable(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	if err := pg.k.ParseForm(w, r, maxForm); err != nil {
		return err
	}
	if err := pg.p.DisableClient(r.Context(), pr, r.PathValue("id")); err != nil {
		return err
	}
	pg.k.Flash(w, r, "flash.oidc.client_disabled")
	http.Redirect(w, r, "/relying-parties", http.StatusSeeOther)
	return nil
}
