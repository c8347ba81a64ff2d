package identity

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/units"
)

// Place kinds of a sign-in's address.
const (
	// PlaceListed: the address is in a range of the operator's table.
	PlaceListed = "listed"
	// PlaceLocal: a loopback, private or link-local address with no row
	// (mạng nội bộ).
	PlaceLocal = "local"
	// PlaceUnknown: a public address with no row, or none at all (không rõ).
	PlaceUnknown = "unknown"
)

// Place is where a sign-in came from, as the operator's table of address
// ranges said at the time. The platform runs without Internet access, so
// there is no online geolocation: only the ranges the operator imported.
type Place struct {
	Kind string `json:"kind"`
	// Province is the code of a current province (package units), when
	// the range's row gave one.
	Province string `json:"province,omitempty"`
	// Name is the row's place name, or the province's full name.
	Name string `json:"name,omitempty"`
	// Network is the network or organisation the range belongs to.
	Network string `json:"network,omitempty"`
}

// PlaceRange is one row of the operator's table: an address range (CIDR)
// and the place and network it stands for.
type PlaceRange struct {
	CIDR     netip.Prefix `json:"cidr"`
	Province string       `json:"province,omitempty"`
	Name     string       `json:"name,omitempty"`
	Network  string       `json:"network,omitempty"`
}

// placeColumns is the header the CSV file must start with.
var placeColumns = []string{"cidr", "province", "name", "network"}

// Bounds of the table's file.
const (
	maxPlaceText = 100
	maxPlaceRows = 1 << 20
	maxPlaceErrs = 20
)

// ParsePlaces reads the operator's table of address ranges: a CSV file
// whose header is "cidr,province,name,network", then one range a line (an
// IPv4 or IPv6 prefix, its network address with no host bits; a current
// province code of reg or empty; a free place name, required when no
// province is given; the network's or organisation's name, optional).
// Lines starting with '#' are comments. A wrong file is an Invalid problem
// naming each wrong line and column (at most 20), as "line 3, column 1
// (cidr)".
func ParsePlaces(r io.Reader, reg *units.Registry) ([]PlaceRange, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var fields problem.Fields
	n := 0
	add := func(line, col int, format string, args ...any) {
		n++
		if n <= maxPlaceErrs {
			name := "header"
			if col >= 1 && col <= len(placeColumns) {
				name = placeColumns[col-1]
			}
			fields.Add(fmt.Sprintf("line %d, column %d (%s)", line, col, name), format, args...)
		}
	}
	var out []PlaceRange
	seen := map[netip.Prefix]int{}
	header := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			fields.Add(fmt.Sprintf("line %d, column %d", pe.Line, pe.Column), "%v", pe.Err)
			break // the reader cannot go on past a broken quote
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if header {
			header = false
			for i, want := range placeColumns {
				if i >= len(rec) || !strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(rec[i], "\ufeff")), want) {
					add(line, i+1, "the header must be %q", strings.Join(placeColumns, ","))
					return nil, fields.Err()
				}
			}
			if len(rec) > len(placeColumns) {
				add(line, len(placeColumns)+1, "the header has %d columns, want %d", len(rec), len(placeColumns))
				return nil, fields.Err()
			}
			continue
		}
		if len(rec) != len(placeColumns) {
			add(line, min(len(rec), len(placeColumns))+1, "the line has %d columns, want %d", len(rec), len(placeColumns))
			continue
		}
		var pr PlaceRange
		ok := true
		p, err := netip.ParsePrefix(strings.TrimSpace(rec[0]))
		switch {
		case err != nil:
			add(line, 1, "not an IPv4 or IPv6 prefix (203.0.113.0/24, 2001:db8::/32)")
			ok = false
		case p.Addr().Is4In6():
			add(line, 1, "an IPv4-mapped IPv6 prefix; write it as IPv4")
			ok = false
		case p.Masked() != p:
			add(line, 1, "host bits are set; the range is %s", p.Masked())
			ok = false
		default:
			if first, dup := seen[p]; dup {
				add(line, 1, "%s is already on line %d", p, first)
				ok = false
			}
			seen[p] = line
			pr.CIDR = p
		}
		pr.Province = strings.TrimSpace(rec[1])
		if pr.Province != "" {
			if u, found := reg.Lookup(pr.Province); !found || u.Level != units.LevelProvince || u.Legacy {
				add(line, 2, "%q is not the code of a current province", pr.Province)
				ok = false
			}
		}
		pr.Name, pr.Network = strings.Join(strings.Fields(rec[2]), " "), strings.Join(strings.Fields(rec[3]), " ")
		for i, v := range []string{pr.Name, pr.Network} {
			col := i + 3
			if !utf8.ValidString(v) {
				add(line, col, "not valid UTF-8")
				ok = false
			} else if utf8.RuneCountInString(v) > maxPlaceText {
				add(line, col, "longer than %d characters", maxPlaceText)
				ok = false
			}
		}
		if pr.Province == "" && pr.Name == "" {
			add(line, 3, "give a province code or a place name")
			ok = false
		}
		if ok {
			if len(out) == maxPlaceRows {
				add(line, 1, "more than %d ranges", maxPlaceRows)
				break
			}
			out = append(out, pr)
		}
	}
	if header {
		fields.Add("line 1, column 1 (header)", "the file is empty; the header must be %q", strings.Join(placeColumns, ","))
	}
	if n > maxPlaceErrs {
		fields.Add("file", "%d more errors", n-maxPlaceErrs)
	}
	if err := fields.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Places is the operator's table of address ranges, kept in the store
// (eid_places) and, for the look-ups of every sign-in, in memory: an index
// of the ranges by prefix length, so that a look-up costs one map probe per
// distinct length (longest first), never a scan of the table. A table
// imported by another process (populus places import) is seen within
// placesReload.
type Places struct {
	db    *db.DB
	units *units.Registry
	now   func() time.Time

	mu       sync.RWMutex
	index    *placeIndex
	loadedAt time.Time
}

// placesReload is how long a loaded table is used before it is read again.
const placesReload = time.Minute

// NewPlaces returns the table kept in d, its province codes checked
// against reg.
func NewPlaces(d *db.DB, reg *units.Registry) *Places {
	return &Places{db: d, units: reg, now: time.Now}
}

// placeIndex finds the longest prefix holding an address.
type placeIndex struct {
	lens4, lens6 []int // the prefix lengths present, longest first
	ranges       map[netip.Prefix]PlaceRange
}

func newPlaceIndex(rows []PlaceRange) *placeIndex {
	ix := &placeIndex{ranges: make(map[netip.Prefix]PlaceRange, len(rows))}
	for _, r := range rows {
		ix.ranges[r.CIDR] = r
		lens := &ix.lens6
		if r.CIDR.Addr().Is4() {
			lens = &ix.lens4
		}
		if !slices.Contains(*lens, r.CIDR.Bits()) {
			*lens = append(*lens, r.CIDR.Bits())
		}
	}
	desc := func(a, b int) int { return b - a }
	slices.SortFunc(ix.lens4, desc)
	slices.SortFunc(ix.lens6, desc)
	return ix
}

func (ix *placeIndex) find(a netip.Addr) (PlaceRange, bool) {
	lens := ix.lens6
	if a.Is4() {
		lens = ix.lens4
	}
	for _, n := range lens {
		p, err := a.Prefix(n)
		if err != nil {
			continue
		}
		if r, ok := ix.ranges[p]; ok {
			return r, true
		}
	}
	return PlaceRange{}, false
}

// Import replaces the whole table with the ranges of the CSV file r (see
// ParsePlaces), in one transaction, and reloads it; it returns how many
// ranges the table now holds. A wrong file changes nothing.
func (pl *Places) Import(ctx context.Context, r io.Reader) (int, error) {
	rows, err := ParsePlaces(r, pl.units)
	if err != nil {
		return 0, err
	}
	err = pl.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM eid_places"); err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, "INSERT INTO eid_places (cidr, province, name, network) VALUES ($1, $2, $3, $4)")
		if err != nil {
			return err
		}
		defer st.Close()
		for _, x := range rows {
			if _, err := st.ExecContext(ctx, x.CIDR.String(), x.Province, x.Name, x.Network); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("import places: %w", err)
	}
	pl.set(newPlaceIndex(rows))
	return len(rows), nil
}

// List returns the table's ranges, IPv4 before IPv6, by address then
// length.
func (pl *Places) List(ctx context.Context) ([]PlaceRange, error) {
	rows, err := pl.db.QueryContext(ctx, "SELECT cidr, province, name, network FROM eid_places")
	list, err := db.Collect(rows, err, func(sc db.Scanner) (PlaceRange, error) {
		var x PlaceRange
		var cidr string
		if err := sc.Scan(&cidr, &x.Province, &x.Name, &x.Network); err != nil {
			return x, err
		}
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return x, fmt.Errorf("eid_places: %q: %w", cidr, err)
		}
		x.CIDR = p
		return x, nil
	})
	slices.SortFunc(list, func(a, b PlaceRange) int {
		if c := a.CIDR.Addr().Compare(b.CIDR.Addr()); c != 0 {
			return c
		}
		return a.CIDR.Bits() - b.CIDR.Bits()
	})
	return list, err
}

func (pl *Places) set(ix *placeIndex) {
	pl.mu.Lock()
	pl.index, pl.loadedAt = ix, pl.now()
	pl.mu.Unlock()
}

// current returns the loaded index, reading the table first when it was
// never read or was read more than placesReload ago.
func (pl *Places) current(ctx context.Context) (*placeIndex, error) {
	pl.mu.RLock()
	ix, at := pl.index, pl.loadedAt
	pl.mu.RUnlock()
	if ix != nil && pl.now().Sub(at) < placesReload {
		return ix, nil
	}
	list, err := pl.List(ctx)
	if err != nil {
		if ix != nil {
			return ix, err // keep the former table
		}
		return &placeIndex{}, err
	}
	ix = newPlaceIndex(list)
	pl.set(ix)
	return ix, nil
}

// Lookup returns the place of a client's address (as httpx.ClientIP gives
// it; a port is allowed): the row of the longest prefix holding it, else
// PlaceLocal for a loopback, private or link-local address, else
// PlaceUnknown. A table that cannot be read gives PlaceUnknown with the
// error.
func (pl *Places) Lookup(ctx context.Context, remote string) (Place, error) {
	a, ok := parseRemote(remote)
	if !ok {
		return Place{Kind: PlaceUnknown}, nil
	}
	ix, err := pl.current(ctx)
	if r, found := ix.find(a); found {
		p := Place{Kind: PlaceListed, Province: r.Province, Name: r.Name, Network: r.Network}
		if p.Name == "" {
			if u, ok := pl.units.Lookup(r.Province); ok {
				p.Name = strings.TrimSpace(u.Type + " " + u.Name)
			}
		}
		return p, err
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsUnspecified() {
		return Place{Kind: PlaceLocal}, err
	}
	return Place{Kind: PlaceUnknown}, err
}

func parseRemote(remote string) (netip.Addr, bool) {
	remote = strings.TrimSpace(remote)
	a, err := netip.ParseAddr(remote)
	if err != nil {
		ap, err := netip.ParseAddrPort(remote)
		if err != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), true
}

// DemoPlaces is the demo's table: the loopback network, and the
// documentation ranges of RFC 5737 and RFC 3849 standing for places.
const DemoPlaces = `cidr,province,name,network
# The demo's own machine.
127.0.0.0/8,,Máy chủ demo,Mạng nội bộ demo
::1/128,,Máy chủ demo,Mạng nội bộ demo
# Documentation ranges (RFC 5737, RFC 3849).
192.0.2.0/24,01,,Mạng tài liệu TEST-NET-1
198.51.100.0/24,79,,Mạng tài liệu TEST-NET-2
203.0.113.0/24,48,,Mạng tài liệu TEST-NET-3
2001:db8::/32,01,,Mạng tài liệu IPv6
`

// SeedDemo imports DemoPlaces when the table is empty.
func (pl *Places) SeedDemo(ctx context.Context) error {
	var n int
	if err := pl.db.QueryRowContext(ctx, "SELECT count(*) FROM eid_places").Scan(&n); err != nil || n > 0 {
		return err
	}
	_, err := pl.Import(ctx, strings.NewReader(DemoPlaces))
	return err
}

// String is the place in words for the log and messages: the name and the
// network, or the Vietnamese words for a local or unknown place.
func (p Place) String() string {
	switch p.Kind {
	case PlaceListed:
		if p.Network != "" {
			return p.Name + " (" + p.Network + ")"
		}
		return p.Name
	case PlaceLocal:
		return "mạng nội bộ"
	}
	return "không rõ"
}

// plain returns s without diacritics, its case kept (text messages are
// sent in the GSM alphabet).
func plain(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteRune('d')
		case r == 'Đ':
			b.WriteRune('D')
		case r > unicode.MaxASCII || r < ' ':
			// An SMS in the GSM alphabet: one character outside it
			// (the "·" of a device's name) sends the whole message as
			// UCS-2, at more than twice the cost.
			b.WriteRune('-')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
