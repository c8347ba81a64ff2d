package main

// The -oidc mode: the OpenID provider's endpoints from a second process,
// each against the bare handler answering a body of the same size, -rounds
// times in alternation:
//
//  1. introspection: POST /oidc/oauth/introspect, form token=…, HTTP Basic
//     of the relying party, rotating over -tokens access tokens;
//  2. userinfo: POST /oidc/userinfo, form access_token=… (the library reads
//     the token from the form body when there is no Authorization header),
//     rotating over the same tokens;
//  3. the code exchange: POST /oidc/oauth/token (authorization_code, PKCE
//     S256, HTTP Basic), one fresh code a request, for a relying party with
//     RS256 ID tokens and one with ES256.
//
// Tokens and codes are made from outside the server, as a relying party and
// a citizen would: the demo citizen of the highest level (made by `populus
// demo` in makeAccounts) signs in once through POST /api/v1/identity/session,
// consents once (remembered) on /eid/consent, and every code is then the end
// of the redirect chain of GET /oidc/authorize with the session cookie,
// minted by 8 workers before each code-exchange run (codes are single-use
// and expire with their authorization request, 10 minutes after it began).

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/populus-vn/populus/bench/internal/benchinfo"
	"github.com/populus-vn/populus/internal/db"
)

var (
	codesFlag  = flag.Int("codes", 0, "with -oidc: authorization codes minted before each code-exchange run (0: 2,000/s × (d + warmup) × 1.3); the run stops early, and says so, when they run out")
	tokensFlag = flag.Int("tokens", 300, "with -oidc: distinct access tokens that the introspection and userinfo bodies rotate over")
)

// The relying parties' redirect URI: nothing listens there; the code is
// read from the redirect to it.
const rpRedirect = "http://127.0.0.1:9/cb"

// mintWorkers mint codes concurrently.
const mintWorkers = 8

// codeLifetime is the provider's authorization request lifetime
// (internal/oidc authRequestTTL), which bounds a code's.
const codeLifetime = 10 * time.Minute

// tokenLifetime is the access tokens' (internal/oidc accessTokenTTL).
const tokenLifetime = 10 * time.Minute

// relyingParty is a client registered for -oidc.
type relyingParty struct {
	ID, Secret, Alg string
}

func (c relyingParty) basic() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.ID)+":"+url.QueryEscape(c.Secret)))
}

// relyingParties are those of -oidc: RS256 ID tokens, then ES256.
var relyingParties []relyingParty

// addRelyingParties registers one client for each ID token algorithm.
func addRelyingParties(ctx context.Context, populus string, store []string) error {
	stamp := time.Now().Unix()
	for _, alg := range []string{"RS256", "ES256"} {
		id := fmt.Sprintf("bench-rp-%s-%d", strings.ToLower(alg), stamp)
		secret, err := addClient(ctx, populus, store, "--id", id, "--name", "Benchmark RP "+alg, "--redirect-uri", rpRedirect,
			"--scopes", "openid profile", "--id-token-alg", alg)
		if err != nil {
			return err
		}
		relyingParties = append(relyingParties, relyingParty{ID: id, Secret: secret, Alg: alg})
	}
	return nil
}

// oidcClient is the HTTP client that mints codes: it follows no redirect.
var oidcClient = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2 * mintWorkers},
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// citizen returns the PIN of the store's active electronic identity account
// of the highest level (the demo's level-2 citizen).
func citizen(ctx context.Context, data string) (string, error) {
	d, err := db.Open(ctx, *dbURL, data)
	if err != nil {
		return "", err
	}
	defer d.Close()
	var pin string
	err = d.QueryRowContext(ctx, `SELECT pin FROM eid_accounts WHERE state = 'active' ORDER BY level DESC, pin LIMIT 1`).Scan(&pin)
	if err != nil {
		return "", fmt.Errorf("no citizen's account in the store (populus demo makes two): %w", err)
	}
	return pin, nil
}

// signInCitizen signs the citizen in through the identity API and returns
// the session cookie ("name=value").
func signInCitizen(ctx context.Context, base, pin string) (string, error) {
	body, _ := json.Marshal(map[string]string{"pin": pin, "password": *password})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/identity/session", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := oidcClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("citizen %s sign-in: status %d: %s", pin, resp.StatusCode, b)
	}
	var parts []string
	for _, c := range resp.Cookies() {
		if c.Value != "" {
			parts = append(parts, c.Name+"="+c.Value)
		}
	}
	if len(parts) == 0 {
		return "", errors.New("citizen sign-in: no cookie set")
	}
	return strings.Join(parts, "; "), nil
}

// grant is a minted code with its PKCE verifier.
type grant struct{ Code, Verifier string }

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

var (
	consentCSRF  = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
	consentID    = regexp.MustCompile(`name="id" value="([^"]*)"`)
	consentScope = regexp.MustCompile(`name="scope" value="([^"]*)"`)
)

// mintCode follows the authorization request's redirects with the
// citizen's cookie up to the redirect URI and returns its code. Asked for
// consent, it approves (remembered) when consent is true and fails
// otherwise.
func mintCode(ctx context.Context, base, cookie string, c relyingParty, consent bool) (grant, error) {
	g := grant{Verifier: randomString(32)}
	sum := sha256.Sum256([]byte(g.Verifier))
	q := url.Values{
		"response_type": {"code"}, "client_id": {c.ID}, "redirect_uri": {rpRedirect}, "scope": {"openid profile"},
		"state": {randomString(12)}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	next, err := url.Parse(base + "/oidc/authorize?" + q.Encode())
	if err != nil {
		return g, err
	}
	method, form := http.MethodGet, url.Values(nil)
	for hop := 0; hop < 10; hop++ {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequestWithContext(ctx, method, next.String(), body)
		if err != nil {
			return g, err
		}
		req.Header.Set("Cookie", cookie)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := oidcClient.Do(req)
		if err != nil {
			return g, err
		}
		page, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		method, form = http.MethodGet, nil
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Location()
			if err != nil {
				return g, fmt.Errorf("%s: redirect without a location", next.Path)
			}
			if strings.HasPrefix(loc.String(), rpRedirect) {
				if e := loc.Query().Get("error"); e != "" {
					return g, fmt.Errorf("authorization refused: %s: %s", e, loc.Query().Get("error_description"))
				}
				if g.Code = loc.Query().Get("code"); g.Code == "" {
					return g, fmt.Errorf("redirect without a code: %s", loc)
				}
				return g, nil
			}
			next = loc
		case resp.StatusCode == http.StatusOK && next.Path == "/eid/consent":
			if !consent {
				return g, errors.New("asked for consent again: it was not remembered")
			}
			id, csrf := consentID.FindSubmatch(page), consentCSRF.FindSubmatch(page)
			if id == nil || csrf == nil {
				return g, errors.New("the consent page has no form with id and csrf")
			}
			form = url.Values{"id": {html.UnescapeString(string(id[1]))}, "csrf": {html.UnescapeString(string(csrf[1]))}, "decision": {"approve"}}
			for _, m := range consentScope.FindAllSubmatch(page, -1) {
				form.Add("scope", html.UnescapeString(string(m[1])))
			}
			method, next = http.MethodPost, next.ResolveReference(&url.URL{Path: "/eid/consent"})
		default:
			return g, fmt.Errorf("%s %s: status %d: %.300s", req.Method, next.Path, resp.StatusCode, page)
		}
	}
	return g, errors.New("more than 10 redirects before the redirect URI")
}

// mintCodes mints n codes for c with mintWorkers workers, and reports the
// rate.
func mintCodes(ctx context.Context, base, cookie string, c relyingParty, n int) ([]grant, error) {
	start := time.Now()
	out := make([]grant, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for w := 0; w < mintWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				g, err := mintCode(ctx, base, cookie, c, false)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					next.Store(int64(n)) // stop the others
					return
				}
				out[i] = g
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, fmt.Errorf("minting codes for %s: %w", c.ID, first)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	took := time.Since(start)
	fmt.Printf("minted %d codes for %s in %.1f s (%.0f/s, %d workers)\n", n, c.ID, took.Seconds(), float64(n)/took.Seconds(), mintWorkers)
	// The codes must outlive the bare run and Populus's after it.
	if took > codeLifetime-2*(*dur+*warm)-30*time.Second {
		return nil, fmt.Errorf("minting %d codes took %.0f s: the first would expire (after %s) before the run ends; give fewer with -codes", n, took.Seconds(), codeLifetime)
	}
	return out, nil
}

// exchangeForm is the token request's body for g.
func exchangeForm(g grant) string {
	return url.Values{"grant_type": {"authorization_code"}, "code": {g.Code}, "redirect_uri": {rpRedirect}, "code_verifier": {g.Verifier}}.Encode()
}

// postForm sends a form with the client's Basic authentication and
// returns the answer's body, which must have status 200.
func postForm(ctx context.Context, u, auth, form string) ([]byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := oidcClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("POST %s: status %d: %.300s", u, resp.StatusCode, b)
	}
	return b, nil
}

// tokenSet is the access tokens that introspection and userinfo rotate
// over, with a token answer for the bare handler.
type tokenSet struct {
	Access []string
	Answer []byte // one token endpoint answer
	Made   time.Time
}

// accessTokens mints n codes for c and exchanges them (mintWorkers at a
// time).
func accessTokens(ctx context.Context, base, cookie string, c relyingParty, n int) (tokenSet, error) {
	grants, err := mintCodes(ctx, base, cookie, c, n)
	if err != nil {
		return tokenSet{}, err
	}
	set := tokenSet{Access: make([]string, n), Made: time.Now()}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, mintWorkers)
	answers := make([][]byte, n)
	for w := 0; w < mintWorkers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				b, err := postForm(ctx, base+"/oidc/oauth/token", c.basic(), exchangeForm(grants[i]))
				var t struct {
					AccessToken string `json:"access_token"`
					IDToken     string `json:"id_token"`
				}
				if err == nil {
					err = json.Unmarshal(b, &t)
				}
				if err == nil && (t.AccessToken == "" || t.IDToken == "") {
					err = fmt.Errorf("token answer without access_token or id_token: %.300s", b)
				}
				if err != nil {
					errs[w] = err
					next.Store(int64(n))
					return
				}
				set.Access[i], answers[i] = t.AccessToken, b
			}
		}(w)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return tokenSet{}, fmt.Errorf("exchanging codes for access tokens: %w", err)
	}
	set.Answer = typical(answers)
	return set, nil
}

// typical returns the body of the mean size (the closest to it).
func typical(bodies [][]byte) []byte {
	total := 0
	for _, b := range bodies {
		total += len(b)
	}
	mean := total / len(bodies)
	best := bodies[0]
	for _, b := range bodies {
		if abs(len(b)-mean) < abs(len(best)-mean) {
			best = b
		}
	}
	return best
}

// oidcRow is one line of the final table.
type oidcRow struct {
	What   string     `json:"endpoint"`
	Target string     `json:"target"`
	Bare   LoadReport `json:"bare"`
	Pop    LoadReport `json:"populus"`
}

// benchOIDC runs the -oidc measurements.
func benchOIDC(ctx context.Context, dir, load string, srv *proc, base, data string) error {
	pin, err := citizen(ctx, data)
	if err != nil {
		return err
	}
	cookie, err := signInCitizen(ctx, base, pin)
	if err != nil {
		return err
	}
	// Consent once for each client (remembered), and check that its code
	// exchange answers an ID token.
	for _, c := range relyingParties {
		g, err := mintCode(ctx, base, cookie, c, true)
		if err != nil {
			return fmt.Errorf("first sign-in at %s: %w", c.ID, err)
		}
		if _, err := postForm(ctx, base+"/oidc/oauth/token", c.basic(), exchangeForm(g)); err != nil {
			return fmt.Errorf("first code exchange of %s: %w", c.ID, err)
		}
	}
	fmt.Printf("citizen %s signed in once and consented to %d relying parties; Populus log: %s\n\n", pin, len(relyingParties), filepath.Join(dir, "serve.log"))

	rp := relyingParties[0]
	form := []string{"-header", "Content-Type: application/x-www-form-urlencoded"}
	var tokens tokenSet
	// fresh re-mints the access tokens when they might expire before two
	// more runs end.
	fresh := func() error {
		if !tokens.Made.IsZero() && time.Since(tokens.Made) < tokenLifetime-2*(*dur+*warm)-30*time.Second {
			return nil
		}
		tokens, err = accessTokens(ctx, base, cookie, rp, *tokensFlag)
		return err
	}
	var rows []oidcRow

	// 1. Introspection.
	if err := fresh(); err != nil {
		return err
	}
	answer, err := postForm(ctx, base+"/oidc/oauth/introspect", rp.basic(), "token="+url.QueryEscape(tokens.Access[0]))
	if err != nil {
		return err
	}
	if !bytes.Contains(answer, []byte(`"active":true`)) {
		return fmt.Errorf("introspection of a fresh token: not active: %s", answer)
	}
	err = measure(ctx, dir, load, srv, base, "/oidc/oauth/introspect", "introspect", answer, "POST /oidc/oauth/introspect", "ratio ≥ 0.3", &rows,
		func() (string, error) {
			if err := fresh(); err != nil {
				return "", err
			}
			return writeLines(filepath.Join(dir, "introspect-bodies.txt"), tokens.Access, "token=")
		}, append(form, "-header", "Authorization: "+rp.basic()))
	if err != nil {
		return err
	}

	// 2. Userinfo, the token in the form body.
	if err := fresh(); err != nil {
		return err
	}
	answer, err = postForm(ctx, base+"/oidc/userinfo", "", "access_token="+url.QueryEscape(tokens.Access[0]))
	if err != nil {
		return err
	}
	if !bytes.Contains(answer, []byte(`"sub"`)) {
		return fmt.Errorf("userinfo: no sub in %s", answer)
	}
	err = measure(ctx, dir, load, srv, base, "/oidc/userinfo", "userinfo", answer, "POST /oidc/userinfo", "—", &rows,
		func() (string, error) {
			if err := fresh(); err != nil {
				return "", err
			}
			return writeLines(filepath.Join(dir, "userinfo-bodies.txt"), tokens.Access, "access_token=")
		}, form)
	if err != nil {
		return err
	}

	// 3. The code exchange, one fresh code a request.
	codes := *codesFlag
	if codes <= 0 {
		codes = int(2000 * (*dur + *warm).Seconds() * 1.3)
	}
	for _, c := range relyingParties {
		// The bare handler answers a token answer of this client's size.
		set, err := accessTokens(ctx, base, cookie, c, 20)
		if err != nil {
			return err
		}
		var bodies string
		err = measure(ctx, dir, load, srv, base, "/oidc/oauth/token", "token-"+strings.ToLower(c.Alg), set.Answer,
			"POST /oidc/oauth/token, "+c.Alg+" ID token", "≥ 1,000/s", &rows,
			func() (string, error) {
				grants, err := mintCodes(ctx, base, cookie, c, codes)
				if err != nil {
					return "", err
				}
				lines := make([]string, len(grants))
				for i, g := range grants {
					lines[i] = exchangeForm(g)
				}
				bodies, err = writeLines(filepath.Join(dir, "token-bodies.txt"), lines, "")
				return bodies, err
			}, append(form, "-header", "Authorization: "+c.basic()), "-once")
		if err != nil {
			return err
		}
	}

	fmt.Println()
	benchinfo.Table(os.Stdout, "server", "people", "clients", "requests/s", "p50", "p99", "server CPU per request", "ratio", "target")
	for _, r := range rows {
		b, p := r.Bare, r.Pop
		benchinfo.Row(os.Stdout, "bare net/http, fixed body ("+strconv.Itoa(int(b.MeanBytes))+" B)", benchinfo.Count(*people), strconv.Itoa(*conc), benchinfo.Rate(b.RPS),
			fmt.Sprintf("%.2f ms", b.P50ms), fmt.Sprintf("%.2f ms", b.P99ms), fmt.Sprintf("%.0f µs", b.ServerCPUus), "1", "")
		note := ""
		if p.Exhausted {
			note = fmt.Sprintf(" (codes ran out after %.1f s)", p.Seconds)
		}
		benchinfo.Row(os.Stdout, "Populus "+r.What+note, benchinfo.Count(*people), strconv.Itoa(*conc), benchinfo.Rate(p.RPS),
			fmt.Sprintf("%.2f ms", p.P50ms), fmt.Sprintf("%.2f ms", p.P99ms), fmt.Sprintf("%.0f µs", p.ServerCPUus), fmt.Sprintf("%.2f", p.RPS/b.RPS), r.Target)
	}
	if *jsonOut != "" {
		out, _ := json.MarshalIndent(map[string]any{"people": *people, "clients": *conc, "duration_s": dur.Seconds(), "rows": rows}, "", "  ")
		return os.WriteFile(*jsonOut, append(out, '\n'), 0o644)
	}
	return nil
}

// measure serves answer from a bare handler and loads path on it and on
// Populus in alternation, -rounds times; bodies writes the request bodies
// of a round (called before each) and returns the file. Populus's runs
// get popExtra's arguments besides extra (-once for single-use codes).
func measure(ctx context.Context, dir, load string, srv *proc, base, path, name string, answer []byte, what, target string, rows *[]oidcRow,
	bodies func() (string, error), extra []string, popExtra ...string) error {
	answerFile := filepath.Join(dir, name+"-answer.txt")
	if err := os.WriteFile(answerFile, answer, 0o644); err != nil {
		return err
	}
	bare, bareBase, err := startBare(ctx, dir, "bare-"+name+".log", answerFile)
	if err != nil {
		return err
	}
	defer bare.stop()
	fmt.Printf("\n## %s (bare body %d bytes)\n\n", what, len(answer))
	for r := 0; r < *rounds; r++ {
		file, err := bodies()
		if err != nil {
			return err
		}
		args := append([]string{"-bodies", file}, extra...)
		b, err := runLoadArgs(ctx, load, "-url", bareBase+path, "bare net/http", bare, args...)
		if err != nil {
			return err
		}
		p, err := runLoadArgs(ctx, load, "-url", base+path, "Populus "+name, srv, append(args, popExtra...)...)
		if err != nil {
			return err
		}
		*rows = append(*rows, oidcRow{What: what, Target: target, Bare: b, Pop: p})
	}
	return nil
}

// writeLines writes prefix+line for each line, one a line, and returns the
// file's path.
func writeLines(path string, lines []string, prefix string) (string, error) {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(prefix)
		if prefix != "" {
			l = url.QueryEscape(l)
		}
		b.WriteString(l + "\n")
	}
	return path, os.WriteFile(path, b.Bytes(), 0o644)
}
