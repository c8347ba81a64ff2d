package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/reconcile/engine"
	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/reconcile/sectorsynth"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/synth"
	"github.com/populus-vn/populus/internal/units"
)

const (
	testPeople  = 2000
	testRecords = 1200
)

// seed loads a synthetic register into d and derives a drivers' file.
func seed(t *testing.T, d *db.DB) []byte {
	t.Helper()
	ctx := context.Background()
	im := register.NewImporter(d)
	if err := im.Start(ctx); err != nil {
		t.Fatal(err)
	}
	err := synth.Generate(ctx, synth.Config{People: testPeople, Seed: 5}, func(h *people.Household, ms []people.Person) error {
		return im.Add(ctx, h, ms)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := im.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	var f, tr bytes.Buffer
	if err := sectorsynth.Synthesize(ctx, sectorsynth.SynthConfig{Kind: sector.Drivers, Records: testRecords, Seed: 9}, sectorsynth.RegisterPopulation(d), &f, &tr); err != nil {
		t.Fatal(err)
	}
	return f.Bytes()
}

// harness is a service over a store, with its routes behind a stand-in for
// the session guard: the header X-Test-As names the principal.
type harness struct {
	t     *testing.T
	d     *db.DB
	svc   *Service
	h     http.Handler
	users map[string]auth.Principal
	cfg   Config
}

func newHarness(t *testing.T, d *db.DB, dataDir string, tune func(*Config)) *harness {
	t.Helper()
	al := audit.New(d)
	t.Cleanup(al.Close)
	cfg := Config{DB: d, DataDir: dataDir, Guard: auth.NewGuard(auth.NewPolicy(units.Default()), al), Audit: al, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Workers: 1, EngineWorkers: 2, CheckpointEvery: time.Nanosecond, Poll: 50 * time.Millisecond}
	if tune != nil {
		tune(&cfg)
	}
	h := &harness{t: t, d: d, users: map[string]auth.Principal{}, cfg: cfg}
	// The subtests share the store: none leaves a job for the next one's
	// workers.
	t.Cleanup(func() { d.Exec(`UPDATE reconcile_jobs SET state = 'cancelled' WHERE state IN ('queued', 'running')`) })
	h.svc = New(cfg)
	mux := http.NewServeMux()
	for _, rt := range h.svc.Routes() {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	h.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := h.users[r.Header.Get("X-Test-As")]; ok {
			r = r.WithContext(auth.WithPrincipal(r.Context(), p))
		}
		mux.ServeHTTP(w, r)
	})
	return h
}

// user adds a staff account.
func (h *harness) user(name string, role auth.Role, unit string) {
	h.t.Helper()
	var id int64
	err := h.d.QueryRowContext(context.Background(), `INSERT INTO staff (username, display_name, password_hash, role, unit_code, created_at)
		VALUES ($1, $1, 'x', $2, $3, $4) RETURNING id`, name, string(role), unit, db.FormatTime(time.Now())).Scan(&id)
	if err != nil {
		h.t.Fatal(err)
	}
	h.users[name] = auth.Staff(id, name, name, role, unit)
}

func (h *harness) do(as, method, path string, body io.Reader, contentType string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, body)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Header.Set("X-Test-As", as)
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, r)
	return w
}

// submit posts a file with the form fields.
func (h *harness) submit(as, fileName string, file []byte, fields map[string]string) *httptest.ResponseRecorder {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("file", fileName)
		fw.Write(file)
	}
	mw.Close()
	return h.do(as, "POST", "/api/v1/reconcile/jobs", &b, mw.FormDataContentType())
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("%d %s: %v", w.Code, w.Body.String(), err)
	}
	return v
}

type problemBody struct {
	Status int `json:"status"`
	Detail string
	Errors []struct{ Field, Reason string }
}

// wantProblem checks the status and that the problem names field.
func wantProblem(t *testing.T, w *httptest.ResponseRecorder, status int, field string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body.String())
	}
	if field == "" {
		return
	}
	p := decode[problemBody](t, w)
	for _, e := range p.Errors {
		if e.Field == field {
			return
		}
	}
	t.Fatalf("the problem does not name %s: %s", field, w.Body.String())
}

// wait polls the job until it is finished.
func (h *harness) wait(as, id string) JobView {
	h.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		w := h.do(as, "GET", "/api/v1/reconcile/jobs/"+id, nil, "")
		if w.Code != 200 {
			h.t.Fatalf("GET job: %d %s", w.Code, w.Body.String())
		}
		v := decode[JobView](h.t, w)
		if v.State.Finished() {
			return v
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatal("the job did not finish")
	return JobView{}
}

// direct runs the engine on the file without the service, uninterrupted.
func direct(t *testing.T, d *db.DB, file []byte, workers int) (dec, cor []byte, sum *engine.Summary) {
	t.Helper()
	x, err := engine.Load(context.Background(), d, engine.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var db, cb bytes.Buffer
	in := engine.Input{Name: "drivers.csv", Mapping: sector.Drivers.Mapping(),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(file)), nil }}
	sum, err = engine.Run(context.Background(), x, in, engine.Output{Decisions: &db, Corrections: &cb}, engine.Config{Workers: workers, Seed: engine.DefaultSeed})
	if err != nil {
		t.Fatal(err)
	}
	return db.Bytes(), cb.Bytes(), sum
}

func (h *harness) jobRows(unit string) int {
	var n int
	if err := h.d.QueryRow(`SELECT count(*) FROM reconcile_jobs WHERE unit_code = $1`, unit).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func entries(t *testing.T, dir string) []string {
	es, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestService(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		file := seed(t, d)
		wantDec, wantCor, want := direct(t, d, file, 2)
		t.Run("submit-run-download", func(t *testing.T) { testSubmit(t, d, file, wantDec, wantCor, want) })
		t.Run("resume", func(t *testing.T) { testResume(t, d, file, wantDec, wantCor, want) })
		t.Run("limits", func(t *testing.T) { testLimits(t, d, file) })
		t.Run("concurrent-uploads", func(t *testing.T) { testConcurrentUploads(t, d, file) })
		t.Run("huge-values", func(t *testing.T) { testHugeValues(t, d, file) })
		t.Run("quota", func(t *testing.T) { testQuota(t, d, file) })
		t.Run("authorisation", func(t *testing.T) { testAuthorisation(t, d, file) })
		t.Run("reach", func(t *testing.T) { testReach(t, d, file, wantDec) })
		t.Run("bad-upload", func(t *testing.T) { testBadUpload(t, d, file) })
		t.Run("cancel", func(t *testing.T) { testCancel(t, d, file) })
		t.Run("review", func(t *testing.T) { testReview(t, d, file) })
	})
}

func testSubmit(t *testing.T, d *db.DB, file, wantDec, wantCor []byte, want *engine.Summary) {
	h := newHarness(t, d, t.TempDir(), func(c *Config) {
		c.Report = func(w io.Writer, sum *engine.Summary) error {
			_, err := fmt.Fprintf(w, "<p>%d records</p>", sum.Input.Records)
			return err
		}
	})
	// Attached to the nation: its reach is the whole register, so its
	// results are the engine's on the whole register.
	h.user("bank.officer", auth.ServiceOfficer, "VN")
	if err := h.svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer h.svc.Stop()
	w := h.submit("bank.officer", "drivers.csv", file, map[string]string{"kind": "drivers"})
	if w.Code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", w.Code, w.Body.String())
	}
	v := decode[JobView](t, w)
	if w.Header().Get("Location") != "/api/v1/reconcile/jobs/"+v.ID || v.Progress.Records != testRecords {
		t.Fatalf("submitted: location %q, %+v", w.Header().Get("Location"), v)
	}
	v = h.wait("bank.officer", v.ID)
	if v.State != Done || v.Progress.Decided != testRecords || v.Progress.Percent != 100 {
		t.Fatalf("job ended %+v", v)
	}
	if !reflect.DeepEqual(v.Counts, want.Counts) {
		t.Errorf("counts %v, want %v", v.Counts, want.Counts)
	}
	for name, want := range map[string][]byte{"decisions.csv": wantDec, "corrections.csv": wantCor} {
		w := h.do("bank.officer", "GET", v.Links[name], nil, "")
		got := w.Body.Bytes()
		if name == "corrections.csv" && w.Code == 200 {
			got = withoutReviewColumns(t, got)
		}
		if w.Code != 200 || !bytes.Equal(got, want) {
			t.Errorf("%s: %d, %d bytes, want %d", name, w.Code, w.Body.Len(), len(want))
		}
		if cd := w.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
			t.Errorf("%s: Content-Disposition %q", name, cd)
		}
	}
	w = h.do("bank.officer", "GET", v.Links["summary.json"], nil, "")
	sum := decode[engine.Summary](t, w)
	if sum.Input.Records != testRecords || !reflect.DeepEqual(sum.Counts, want.Counts) {
		t.Errorf("summary: %d records, counts %v", sum.Input.Records, sum.Counts)
	}
	if w := h.do("bank.officer", "GET", v.Links["report.html"], nil, ""); w.Code != 200 || !strings.Contains(w.Body.String(), "1200 records") {
		t.Errorf("report: %d %s", w.Code, w.Body.String())
	}
	// The downloads are in the audit log.
	var n int
	h.cfg.Audit.Sync(context.Background(), 5*time.Second) // imported from the journal
	if err := d.QueryRow(`SELECT count(*) FROM audit_log WHERE actor = 'staff:bank.officer' AND action = 'reconcile.read' AND subject = $1`,
		"reconcile:"+v.ID).Scan(&n); err != nil || n != 4 {
		t.Errorf("%d audited downloads (%v), want 4", n, err)
	}
	// The list.
	w = h.do("bank.officer", "GET", "/api/v1/reconcile/jobs?limit=1", nil, "")
	list := decode[struct{ Items []JobView }](t, w)
	if len(list.Items) != 1 || list.Items[0].ID != v.ID {
		t.Errorf("list: %s", w.Body.String())
	}
	// Deleting a finished job deletes its files (the member's quota).
	if w := h.do("bank.officer", "DELETE", "/api/v1/reconcile/jobs/"+v.ID, nil, ""); w.Code != http.StatusNoContent {
		t.Errorf("delete the done job: %d %s", w.Code, w.Body.String())
	}
	if got := entries(t, h.svc.Dir()); len(got) != 0 {
		t.Errorf("files left after deleting the done job: %v", got)
	}
	wantProblem(t, h.do("bank.officer", "GET", v.Links["decisions.csv"], nil, ""), http.StatusNotFound, "")
}

func testResume(t *testing.T, d *db.DB, file, wantDec, wantCor []byte, want *engine.Summary) {
	dir := t.TempDir()
	a := newHarness(t, d, dir, nil)
	a.user("ministry.a", auth.ServiceOfficer, "VN")
	var cps [][]byte
	a.svc.afterCheckpoint = func(id string, cp []byte) {
		cps = append(cps, cp)
		if len(cps) == 3 {
			a.svc.stop(errShutdown) // the process stops mid-run
		}
	}
	w := a.submit("ministry.a", "drivers.csv", file, map[string]string{"kind": "drivers"})
	if w.Code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", w.Code, w.Body.String())
	}
	id := decode[JobView](t, w).ID
	if err := a.svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.svc.Wait()
	j, err := a.svc.store.get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != Queued || j.Decided == 0 || j.Decided >= testRecords {
		t.Fatalf("after the shutdown: %s, %d decided", j.State, j.Decided)
	}
	// As after a crash: the job left running, the outputs beyond its
	// (earlier) checkpoint.
	var cp engine.Checkpoint
	json.Unmarshal(cps[0], &cp)
	if _, err := d.Exec(`UPDATE reconcile_jobs SET state = 'running', checkpoint = $2, records_decided = $3 WHERE id = $1`,
		id, string(cps[0]), cp.Records); err != nil {
		t.Fatal(err)
	}

	b := newHarness(t, d, dir, nil)
	b.users = a.users
	var resumedFrom int64 = -1
	b.svc.afterCheckpoint = func(id string, c []byte) {
		if resumedFrom < 0 {
			var cp engine.Checkpoint
			json.Unmarshal(c, &cp)
			resumedFrom = cp.Records
		}
	}
	if err := b.svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer b.svc.Stop()
	v := b.wait("ministry.a", id)
	if v.State != Done || v.Progress.Decided != testRecords || !reflect.DeepEqual(v.Counts, want.Counts) {
		t.Fatalf("resumed job ended %+v, counts want %v", v, want.Counts)
	}
	if resumedFrom <= cp.Records || resumedFrom > cp.Records+int64(3*128) {
		t.Errorf("the resumed run's first checkpoint is after %d records; it resumed from %d", resumedFrom, cp.Records)
	}
	for name, want := range map[string][]byte{"decisions.csv": wantDec, "corrections.csv": wantCor} {
		got, _ := os.ReadFile(filepath.Join(dir, "reconcile", id, name))
		if !bytes.Equal(got, want) {
			t.Errorf("%s after the resume differs from an uninterrupted run (%d bytes, want %d)", name, len(got), len(want))
		}
	}
}

func testLimits(t *testing.T, d *db.DB, file []byte) {
	h := newHarness(t, d, t.TempDir(), func(c *Config) {
		c.Limits = Limits{MaxRunning: 1, MaxQueued: 1, MaxUploadBytes: int64(len(file)), MaxRecords: testRecords}
	})
	h.user("limits", auth.ServiceOfficer, "00010")
	// Workers are not started: jobs stay queued.
	big := append(append([]byte{}, file...), file[bytes.IndexByte(file, '\n')+1:]...)
	wantProblem(t, h.submit("limits", "big.csv", big, map[string]string{"kind": "drivers"}), http.StatusRequestEntityTooLarge, "max_upload_bytes")
	h.svc.limits.MaxUploadBytes = 1 << 30
	wantProblem(t, h.submit("limits", "big.csv", big, map[string]string{"kind": "drivers"}), http.StatusRequestEntityTooLarge, "max_records_per_job")
	if n := h.jobRows("00010"); n != 0 {
		t.Fatalf("%d job rows after refusals", n)
	}
	for i := range 2 {
		if w := h.submit("limits", "drivers.csv", file, map[string]string{"kind": "drivers"}); w.Code != http.StatusAccepted {
			t.Fatalf("submission %d: %d %s", i+1, w.Code, w.Body.String())
		}
	}
	w := h.submit("limits", "drivers.csv", file, map[string]string{"kind": "drivers"})
	wantProblem(t, w, http.StatusTooManyRequests, "max_queued_jobs")
	if w.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// Another member is not held back.
	h.user("limits.other", auth.ServiceOfficer, "00011")
	if w := h.submit("limits.other", "drivers.csv", file, map[string]string{"kind": "drivers"}); w.Code != http.StatusAccepted {
		t.Fatalf("another member: %d %s", w.Code, w.Body.String())
	}
	if got := entries(t, h.svc.Dir()); len(got) != 3 {
		t.Errorf("job directories %v, want 3", got)
	}
}

func testAuthorisation(t *testing.T, d *db.DB, file []byte) {
	h := newHarness(t, d, t.TempDir(), nil)
	h.user("owner", auth.ServiceOfficer, "01")
	h.user("admin", auth.Admin, "01")
	h.user("stranger", auth.ServiceOfficer, "79")
	h.user("registrar", auth.Registrar, "01")
	w := h.submit("owner", "drivers.csv", file, map[string]string{"kind": "drivers"})
	if w.Code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", w.Code, w.Body.String())
	}
	id := decode[JobView](t, w).ID
	// The role may not.
	wantProblem(t, h.submit("admin", "drivers.csv", file, map[string]string{"kind": "drivers"}), http.StatusForbidden, "")
	wantProblem(t, h.submit("registrar", "drivers.csv", file, map[string]string{"kind": "drivers"}), http.StatusForbidden, "")
	wantProblem(t, h.do("registrar", "GET", "/api/v1/reconcile/jobs", nil, ""), http.StatusForbidden, "")
	wantProblem(t, h.do("registrar", "GET", "/api/v1/reconcile/jobs/"+id, nil, ""), http.StatusForbidden, "")
	wantProblem(t, h.do("", "GET", "/api/v1/reconcile/jobs", nil, ""), http.StatusUnauthorized, "")
	// Another member does not see the job.
	for _, p := range []string{"", "/decisions.csv", "/corrections.csv", "/summary.json", "/report.html"} {
		wantProblem(t, h.do("stranger", "GET", "/api/v1/reconcile/jobs/"+id+p, nil, ""), http.StatusNotFound, "")
	}
	wantProblem(t, h.do("stranger", "DELETE", "/api/v1/reconcile/jobs/"+id, nil, ""), http.StatusNotFound, "")
	if w := h.do("stranger", "GET", "/api/v1/reconcile/jobs", nil, ""); !strings.Contains(w.Body.String(), `"items":[]`) {
		t.Errorf("the stranger's list: %s", w.Body.String())
	}
	// Results are not there before the job is done.
	wantProblem(t, h.do("owner", "GET", "/api/v1/reconcile/jobs/"+id+"/decisions.csv", nil, ""), http.StatusConflict, "")
	var denied int
	h.cfg.Audit.Sync(context.Background(), 5*time.Second) // imported from the journal
	d.QueryRow(`SELECT count(*) FROM audit_log WHERE outcome = 'denied' AND subject = $1`, "reconcile:"+id).Scan(&denied)
	if denied < 6 {
		t.Errorf("%d denials audited", denied)
	}
}

func testBadUpload(t *testing.T, d *db.DB, file []byte) {
	h := newHarness(t, d, t.TempDir(), nil)
	h.user("bad", auth.ServiceOfficer, "00020")
	// Text in a legacy Vietnamese encoding is decoded; UTF-16 is refused.
	utf16 := append([]byte{0xFF, 0xFE}, file...)
	cases := []struct {
		name   string
		file   []byte
		fields map[string]string
		field  string
	}{
		{"no mapping", file, nil, "mapping"},
		{"bad kind", file, map[string]string{"kind": "fishing"}, "kind"},
		{"bad mapping", file, map[string]string{"mapping": "full_nam=HO_TEN"}, "mapping"},
		{"missing column", file, map[string]string{"mapping": "full_name=TEN_DAY_DU, birth_date=NGAY_SINH"}, "mapping"},
		{"both", file, map[string]string{"kind": "drivers", "mapping": "full_name=HO_TEN"}, "mapping"},
		{"encoding", utf16, map[string]string{"kind": "drivers"}, "file"},
		{"no file", nil, map[string]string{"kind": "drivers"}, "file"},
		{"empty file", []byte{}, map[string]string{"kind": "drivers"}, "file"},
		{"unknown field", file, map[string]string{"kind": "drivers", "colour": "red"}, "colour"},
		{"threshold", file, map[string]string{"kind": "drivers", "threshold": "1.5"}, "threshold"},
	}
	for _, c := range cases {
		w := h.submit("bad", "in.csv", c.file, c.fields)
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s: %d %s", c.name, w.Code, w.Body.String())
			continue
		}
		p := decode[problemBody](t, w)
		if len(p.Errors) == 0 || p.Errors[0].Field != c.field {
			t.Errorf("%s: the problem names %v, want %s", c.name, p.Errors, c.field)
		}
	}
	wantProblem(t, h.do("bad", "POST", "/api/v1/reconcile/jobs", strings.NewReader("{}"), "application/json"), http.StatusUnsupportedMediaType, "")
	if n := h.jobRows("00020"); n != 0 {
		t.Errorf("%d job rows after bad uploads", n)
	}
	if got := entries(t, h.svc.Dir()); len(got) != 0 {
		t.Errorf("files left after bad uploads: %v", got)
	}
}

func testCancel(t *testing.T, d *db.DB, file []byte) {
	h := newHarness(t, d, t.TempDir(), nil)
	h.user("cancel", auth.ServiceOfficer, "00030")
	w := h.submit("cancel", "drivers.csv", file, map[string]string{"kind": "drivers"})
	id := decode[JobView](t, w).ID
	if w := h.do("cancel", "DELETE", "/api/v1/reconcile/jobs/"+id, nil, ""); w.Code != http.StatusNoContent {
		t.Fatalf("cancel: %d %s", w.Code, w.Body.String())
	}
	v := decode[JobView](t, h.do("cancel", "GET", "/api/v1/reconcile/jobs/"+id, nil, ""))
	if v.State != Cancelled || v.FinishedAt == nil {
		t.Errorf("after cancel: %+v", v)
	}
	if got := entries(t, h.svc.Dir()); len(got) != 0 {
		t.Errorf("files left after cancel: %v", got)
	}
	wantProblem(t, h.do("cancel", "DELETE", "/api/v1/reconcile/jobs/"+id, nil, ""), http.StatusConflict, "")

	// A running job: cancelled at its next checkpoint.
	w = h.submit("cancel", "drivers.csv", file, map[string]string{"kind": "drivers"})
	id = decode[JobView](t, w).ID
	// The job is cancelled from inside its first checkpoint, so the
	// cancellation lands while it runs, whatever the scheduling.
	var once sync.Once
	cancelled := make(chan int, 1)
	h.svc.afterCheckpoint = func(string, []byte) {
		once.Do(func() {
			cancelled <- h.do("cancel", "DELETE", "/api/v1/reconcile/jobs/"+id, nil, "").Code
		})
	}
	if err := h.svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer h.svc.Stop()
	if code := <-cancelled; code != http.StatusNoContent {
		t.Fatalf("cancelling the running job: %d", code)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		h.svc.mu.Lock()
		_, running := h.svc.running[id]
		h.svc.mu.Unlock()
		j, _ := h.svc.store.get(context.Background(), id)
		if !running && j.State == Cancelled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the running job was not cancelled: %s", j.State)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := entries(t, h.svc.Dir()); len(got) != 0 {
		t.Errorf("files left after cancelling a running job: %v", got)
	}
}
