// Package server assembles Populus's HTTP server: it mounts every
// capability's routes on one mux, behind one middleware chain (recovery,
// metrics and logs, security headers, the staff session guard), and serves
// the operational endpoints (/healthz, /readyz, /metrics) and the OpenAPI
// document.
//
// It holds no rules of its own: it only wires what the capabilities provide.
package server

import (
	"context"
	_ "embed"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/reconcile/service"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/units"
	"github.com/populus-vn/populus/internal/web"
)

//go:embed openapi.json
var openAPI []byte

// Deps are the parts the server wires together.
type Deps struct {
	DB       *db.DB
	Register *register.Register
	Units    *units.Registry
	Staff    *staff.Service
	Web      *web.Server
	Logger   *slog.Logger
	// Reconcile is reconciliation as a service (/api/v1/reconcile).
	Reconcile *service.Service
	// Audit is the audit log, read by auditors at /api/v1/audit.
	Audit *audit.Log
}

// New returns the whole HTTP handler.
func New(d Deps) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range apiRoutes(d) {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	if d.Web != nil {
		d.Web.Routes(mux)
	}
	return httpx.Chain(mux,
		httpx.Recover,
		httpx.Observe(d.Logger),
		httpx.SecurityHeaders,
		withRemote,
	)
}

// apiRoutes lists every route outside the web UI, in one place; the OpenAPI
// test checks the document against it.
func apiRoutes(d Deps) []register.Route {
	signedIn := func(h http.Handler) http.Handler {
		return d.Staff.Protect(staff.RequireSignIn(h), httpx.WriteProblem)
	}
	public := func(h http.Handler) http.Handler { return d.Staff.Protect(h, httpx.WriteProblem) }
	routes := []register.Route{
		{Pattern: "GET /healthz", Handler: http.HandlerFunc(healthz)},
		{Pattern: "GET /readyz", Handler: readyz(d.DB)},
		{Pattern: "GET /metrics", Handler: promhttp.Handler()},
		{Pattern: "GET /api/v1/openapi.json", Handler: http.HandlerFunc(serveOpenAPI)},
		{Pattern: "POST /api/v1/session", Handler: public(httpx.Handle(signIn(d.Staff)))},
		{Pattern: "DELETE /api/v1/session", Handler: signedIn(httpx.Handle(signOut(d.Staff)))},
		{Pattern: "GET /api/v1/units", Handler: httpx.Handle(d.Units.HandleList)},
		{Pattern: "GET /api/v1/units/{key}", Handler: httpx.Handle(d.Units.HandleGet)},
		{Pattern: "GET /api/v1/audit", Handler: signedIn(httpx.Handle(d.Audit.HandleList))},
	}
	for _, rt := range d.Register.Routes() {
		routes = append(routes, register.Route{Pattern: rt.Pattern, Handler: signedIn(rt.Handler)})
	}
	for _, rt := range d.Reconcile.Routes() {
		routes = append(routes, register.Route{Pattern: rt.Pattern, Handler: signedIn(rt.Handler)})
	}
	return routes
}

func withRemote(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := r.WithContext(audit.WithRemote(r.Context(), httpx.ClientIP(r)))
		next.ServeHTTP(w, r2)
		// The mux records the pattern it matched on the request it was
		// given, a copy; the access log and the metrics read it from theirs.
		r.Pattern = r2.Pattern
	})
}

func healthz(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func readyz(d *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := d.PingContext(ctx); err != nil {
			httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "store": string(d.Engine)})
			return
		}
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready", "store": string(d.Engine)})
	})
}

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openAPI)
}

// SessionRequest signs a machine client or script in.
type SessionRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// SessionResponse gives the CSRF token that unsafe requests of the session
// must carry in X-CSRF-Token; the session itself is in the cookie set.
type SessionResponse struct {
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	Unit      string    `json:"unit"`
	CSRFToken string    `json:"csrf_token"`
	ExpiresAt time.Time `json:"expires_at"`
}

func signIn(s *staff.Service) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in SessionRequest
		if err := httpx.DecodeJSON(w, r, &in, 4<<10); err != nil {
			return err
		}
		var f problem.Fields
		if in.Username == "" {
			f.Add("username", "is required")
		}
		if in.Password == "" {
			f.Add("password", "is required")
		}
		if err := f.Err(); err != nil {
			return err
		}
		sess, err := s.Login(w, r, in.Username, in.Password)
		if err != nil {
			var rl *staff.RateLimitError
			if errors.As(err, &rl) {
				w.Header().Set("Retry-After", strconv.Itoa(rl.RetryAfterSeconds()))
			}
			return err
		}
		p := sess.Account.Principal()
		return httpx.WriteJSON(w, http.StatusCreated, SessionResponse{Username: p.Username, Role: string(p.Role), Unit: p.Unit, CSRFToken: sess.CSRF, ExpiresAt: sess.ExpiresAt})
	}
}

func signOut(s *staff.Service) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.Logout(w, r); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
