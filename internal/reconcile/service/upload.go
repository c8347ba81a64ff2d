package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/reconcile/engine"
	"github.com/populus-vn/populus/internal/reconcile/sector"
)

// formSlack is what a submission may hold besides its file: the mapping
// and the options.
const formSlack = 256 << 10

// maxValue bounds one form value (a mapping of many columns fits).
const maxValue = 64 << 10

// badRequest is an invalid submission: 400, naming the field.
func badRequest(field, format string, args ...any) error {
	return &problem.Error{Kind: problem.Invalid, Status: http.StatusBadRequest, Detail: "The submission is not valid",
		Fields: []problem.FieldError{problem.NewFieldError(field, format, args...)}}
}

// overLimit is a submission beyond one of the member's limits.
func overLimit(kind problem.Kind, limit string, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &problem.Error{Kind: kind, Detail: msg, Fields: []problem.FieldError{{Field: limit, Reason: msg}}}
}

// submission is what a member sent, before it is checked.
type submission struct {
	values    map[string]string
	fileName  string
	fileBytes int64
	hasFile   bool
}

// Receiver reads a submission (fields: file, and mapping or kind, and the
// options threshold, review_floor, margin, one_to_one, max_block, seed),
// writing its file into dir. Receive is the one of an HTTP request.
type Receiver func(dir string) (submission, error)

// Submit takes a submission of size bytes (-1 when unknown) from p, read by
// receive, checks it whole (the mapping against the file's header, every
// row readable, the limits), then stores the file and queues the job.
// Nothing is stored when it fails.
func (s *Service) Submit(ctx context.Context, p auth.Principal, size int64, receive Receiver) (JobView, error) {
	if err := s.authorize(ctx, p, auth.SubmitReconcile, ""); err != nil {
		return JobView{}, err
	}
	// A job discloses the people it matches: only a role that may read
	// people may submit one, and it matches within that reach.
	if err := s.cfg.Guard.Role(ctx, p, auth.ReadPerson, subject("")); err != nil {
		return JobView{}, err
	}
	release, err := s.admit(ctx, p.Unit)
	if err != nil {
		return JobView{}, err
	}
	defer release()
	limit := s.limits.MaxUploadBytes
	if size > limit+formSlack {
		return JobView{}, overLimit(problem.TooLarge, "max_upload_bytes", "the upload is %d bytes; a file may hold at most %d", size, limit)
	}
	used, err := s.memberBytes(ctx, p.Unit)
	if err != nil {
		return JobView{}, err
	}
	room := s.limits.MaxMemberBytes - used
	if room <= 0 || size > room+formSlack {
		return JobView{}, s.overQuota(p.Unit, used)
	}

	j := Job{ID: newID(), Unit: p.Unit, OwnerID: p.ID, Owner: p.Username, Role: p.Role, State: Queued, Created: time.Now()}
	dir := s.jobDir(j.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return JobView{}, err
	}
	stored := false
	defer func() {
		if !stored {
			os.RemoveAll(dir)
		}
	}()
	sub, err := receive(dir)
	if err != nil {
		return JobView{}, err
	}
	// The file was copied within the upload limit; beyond the member's
	// room it is deleted with the directory.
	if sub.fileBytes > room {
		return JobView{}, s.overQuota(p.Unit, used)
	}
	if err := s.check(&j, sub, dir); err != nil {
		return JobView{}, err
	}
	err = s.cfg.DB.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.store.insertTx(ctx, tx, &j); err != nil {
			return err
		}
		return s.cfg.Audit.RecordTx(ctx, tx, audit.Of(p, auth.SubmitReconcile, subject(j.ID)).
			With(fmt.Sprintf("file %q, %d records", j.FileName, j.Read)))
	})
	if err != nil {
		return JobView{}, err
	}
	stored = true
	s.signal()
	return s.view(j), nil
}

func subject(id string) string { return "reconcile:" + id }

func (s *Service) overQuota(unit string, used int64) error {
	return overLimit(problem.TooLarge, "max_member_bytes",
		"the member %s stores %d bytes of reconciliation files; it may store %d (max_member_bytes): delete finished jobs (DELETE /api/v1/reconcile/jobs/{id}) to make room",
		unit, used, s.limits.MaxMemberBytes)
}

// memberBytes is the bytes of the files a member's jobs store.
func (s *Service) memberBytes(ctx context.Context, unit string) (int64, error) {
	ids, err := s.store.ids(ctx, unit)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, id := range ids {
		es, err := os.ReadDir(s.jobDir(id))
		if err != nil {
			continue // no files
		}
		for _, e := range es {
			if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
				n += fi.Size()
			}
		}
	}
	return n, nil
}

// admit reserves a slot for a submission of the member, or refuses it when
// the member has as many jobs running, waiting and being uploaded as it
// may. The count and the reservation are one step under the service's
// lock, so that concurrent uploads cannot all pass the check before any is
// stored; release ends the reservation once the job's row is stored (or
// the submission failed). One server process serves a store's jobs.
func (s *Service) admit(ctx context.Context, unit string) (release func(), err error) {
	s.admitMu.Lock()
	defer s.admitMu.Unlock()
	queued, running, err := s.store.countActive(ctx, unit)
	if err != nil {
		return nil, err
	}
	l := s.limits
	if up := s.uploading[unit]; queued+running+up >= l.MaxRunning+l.MaxQueued {
		return nil, overLimit(problem.RateLimited, "max_queued_jobs",
			"the member %s has %d jobs running, %d waiting and %d being uploaded; it may have %d running (max_running_jobs) and %d waiting (max_queued_jobs): wait for one to finish",
			unit, running, queued, up, l.MaxRunning, l.MaxQueued)
	}
	s.uploading[unit]++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.admitMu.Lock()
			if s.uploading[unit]--; s.uploading[unit] <= 0 {
				delete(s.uploading, unit)
			}
			s.admitMu.Unlock()
		})
	}, nil
}

// Receive is the Receiver of an HTTP request's multipart form. A large file
// takes longer than the server's read timeout: the deadline is extended.
func (s *Service) Receive(w http.ResponseWriter, r *http.Request) Receiver {
	return func(dir string) (submission, error) {
		http.NewResponseController(w).SetReadDeadline(time.Now().Add(time.Hour))
		return s.receive(w, r, dir)
	}
}

// receive reads the form, writing the file into dir.
func (s *Service) receive(w http.ResponseWriter, r *http.Request, dir string) (submission, error) {
	sub := submission{values: map[string]string{}}
	// The session guard may have parsed a small form already, for its
	// CSRF field.
	if f := r.MultipartForm; f != nil {
		for k, vs := range f.Value {
			if len(vs) > 0 {
				sub.values[k] = vs[0]
			}
		}
		if fhs := f.File["file"]; len(fhs) > 0 {
			src, err := fhs[0].Open()
			if err != nil {
				return sub, err
			}
			defer src.Close()
			if err := s.saveFile(&sub, fhs[0].Filename, src, dir); err != nil {
				return sub, err
			}
		}
		for k := range f.File {
			if k != "file" {
				return sub, badRequest(k, "unknown field; the file goes in the field file")
			}
		}
		return sub, s.knownFields(sub)
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.limits.MaxUploadBytes+formSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		return sub, &problem.Error{Kind: problem.Unsupported, Detail: "the body must be multipart/form-data: the file in the field file, and mapping or kind"}
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return sub, s.bodyError(err)
		}
		name := part.FormName()
		switch {
		case name == "file":
			if sub.hasFile {
				return sub, badRequest("file", "give one file per job")
			}
			if err := s.saveFile(&sub, part.FileName(), part, dir); err != nil {
				return sub, err
			}
		case name != "":
			b, err := io.ReadAll(io.LimitReader(part, maxValue+1))
			if err != nil {
				return sub, s.bodyError(err)
			}
			if len(b) > maxValue {
				return sub, badRequest(name, "is longer than %d bytes", maxValue)
			}
			sub.values[name] = string(b)
		}
		part.Close()
	}
	return sub, s.knownFields(sub)
}

func (s *Service) bodyError(err error) error {
	var large *http.MaxBytesError
	if errors.As(err, &large) {
		return overLimit(problem.TooLarge, "max_upload_bytes", "the upload is larger than the %d bytes a file may hold", s.limits.MaxUploadBytes)
	}
	return &problem.Error{Kind: problem.Invalid, Status: http.StatusBadRequest, Detail: "the multipart body cannot be read: " + err.Error()}
}

// knownFields refuses fields the endpoint does not know.
func (s *Service) knownFields(sub submission) error {
	for k := range sub.values {
		switch k {
		case "mapping", "kind", "threshold", "review_floor", "margin", "one_to_one", "max_block", "seed", "csrf":
		default:
			return badRequest(k, "unknown field; the fields are file, mapping or kind, threshold, review_floor, margin, one_to_one, max_block and seed")
		}
	}
	if !sub.hasFile {
		return badRequest("file", "is required: the sector file (CSV, Excel .xlsx or Parquet)")
	}
	return nil
}

// saveFile copies the file into dir, within the upload limit.
func (s *Service) saveFile(sub *submission, name string, src io.Reader, dir string) error {
	sub.hasFile = true
	sub.fileName = cleanName(name)
	dst, err := os.OpenFile(filepath.Join(dir, inputFile(sub.fileName)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(dst, io.LimitReader(src, s.limits.MaxUploadBytes+1))
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return s.bodyError(err)
	}
	if n > s.limits.MaxUploadBytes {
		return overLimit(problem.TooLarge, "max_upload_bytes", "the file is larger than the %d bytes a file may hold", s.limits.MaxUploadBytes)
	}
	sub.fileBytes = n
	return nil
}

// cleanName keeps the base of a client's file name, printable, at most 200
// bytes.
func cleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > 200 {
		_, size := lastRune(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." {
		name = "upload.csv"
	}
	return name
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] < 0x80 || s[i] >= 0xC0 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, 1
}

// check validates the submission into j: the mapping, the options, and the
// file read whole against the mapping.
func (s *Service) check(j *Job, sub submission, dir string) error {
	v := sub.values
	mapping, kind := strings.TrimSpace(v["mapping"]), strings.TrimSpace(v["kind"])
	var m *sector.Mapping
	switch {
	case mapping != "" && kind != "":
		return badRequest("mapping", "give either mapping or kind, not both")
	case kind != "":
		k, err := sector.ParseKind(kind)
		if err != nil {
			return badRequest("kind", "%v", err)
		}
		m = k.Mapping()
		j.Options.Kind = string(k)
	case mapping != "":
		var err error
		if m, err = sector.ParseMapping(mapping); err != nil {
			return badRequest("mapping", "%v", err)
		}
	default:
		return badRequest("mapping", "is required (or kind): which column holds each field, e.g. full_name=HO_TEN, birth_date=NGAY_SINH:DD/MM/YYYY, pin=SO_CCCD")
	}
	j.Mapping = m.String()
	if err := parseOptions(&j.Options, v); err != nil {
		return err
	}
	j.FileName, j.FileBytes = sub.fileName, sub.fileBytes

	f, err := os.Open(filepath.Join(dir, inputFile(j.FileName)))
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := sector.OpenRows(f, j.FileName)
	if err != nil {
		return fileError(err)
	}
	if _, err := sector.NewReader(rows, m); err != nil {
		var me *sector.MappingError
		var mc *sector.MissingColumnError
		if errors.As(err, &me) || errors.As(err, &mc) {
			field := "mapping"
			if j.Options.Kind != "" {
				field = "kind"
			}
			return badRequest(field, "%v", err)
		}
		return badRequest("file", "%v", err)
	}
	// Every row is split once here, so that a file the engine would stop
	// on (bytes that are not UTF-8, broken quoting) is refused now.
	for {
		_, _, err := rows.Next()
		if err == io.EOF {
			break
		}
		if err != nil && !sector.IsRowError(err) {
			return fileError(err)
		}
		if j.Read++; j.Read > s.limits.MaxRecords {
			return overLimit(problem.TooLarge, "max_records_per_job", "the file holds more than the %d records a job may hold", s.limits.MaxRecords)
		}
	}
	if j.Read == 0 {
		return badRequest("file", "the file holds no record after its header")
	}
	return nil
}

// fileError is the refusal of a file that cannot be read: 413 naming the
// field file when a value, a row or a Parquet page is over its bound (the
// message says which line or row, and which column), else 400.
func fileError(err error) error {
	var tl *sector.TooLargeError
	if errors.As(err, &tl) {
		return overLimit(problem.TooLarge, "file", "%v", err)
	}
	return badRequest("file", "%v", err)
}

// parseOptions reads the options of the run.
func parseOptions(o *Options, v map[string]string) error {
	var f problem.Fields
	prob := func(name string, p *float64) {
		s := strings.TrimSpace(v[name])
		if s == "" {
			return
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || !(x > 0 && x < 1) {
			f.Add(name, "must be a probability strictly between 0 and 1")
			return
		}
		*p = x
	}
	prob("threshold", &o.Threshold)
	prob("review_floor", &o.ReviewFloor)
	if s := strings.TrimSpace(v["margin"]); s != "" {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || !(x > 0 && x <= 64) {
			f.Add("margin", "must be a number of bits above 0, at most 64")
		} else {
			o.Margin = x
		}
	}
	if s := strings.TrimSpace(v["one_to_one"]); s != "" {
		b, err := strconv.ParseBool(s)
		if s == "on" {
			b, err = true, nil
		}
		if err != nil {
			f.Add("one_to_one", "must be true or false")
		}
		o.OneToOne = b
	}
	if s := strings.TrimSpace(v["max_block"]); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100_000 {
			f.Add("max_block", "must be a whole number from 1 to 100000")
		}
		o.MaxBlock = n
	}
	o.Seed = engine.DefaultSeed // as the command line
	if s := strings.TrimSpace(v["seed"]); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			f.Add("seed", "must be a whole number, 0 or more")
		}
		o.Seed = n
	}
	if o.Threshold > 0 && o.ReviewFloor > 0 && o.ReviewFloor > o.Threshold {
		f.Add("review_floor", "must not be above the threshold")
	}
	if err := f.Err(); err != nil {
		pe := err.(*problem.Error)
		pe.Status = http.StatusBadRequest
		return pe
	}
	return nil
}
