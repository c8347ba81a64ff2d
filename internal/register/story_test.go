package register_test

import (
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/synth"
)

// TestStory writes the past of a synthetic population and checks that it
// tells a consistent story: every person's history starts with their birth
// and, replayed, gives their record; acts are dated in the past, in order;
// the households drawn moved to the commune given; the view as of a day
// before a marriage shows no spouse; a second run writes nothing.
func TestStory(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		im := register.NewImporter(d)
		if err := synth.Generate(e.ctx, synth.Config{People: 1500, Seed: 3}, func(h *people.Household, members []people.Person) error {
			return im.Add(e.ctx, h, members)
		}); err != nil {
			t.Fatal(err)
		}
		if err := im.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		now := synth.DefaultNow
		opts := register.StoryOptions{Seed: 1, Now: now, MoveTo: []string{baDinh}, MoveShare: 0.1, CorrectShare: 0.05}
		stats, err := register.Story(e.ctx, d, nil, opts)
		if err != nil {
			t.Fatal(err)
		}
		if stats.People != 1500 || stats.Events < 2*stats.People || stats.Moved < 20 {
			t.Fatalf("stats %+v", stats)
		}
		inBaDinh := e.count(`SELECT count(*) FROM persons WHERE resp_unit = $1`, baDinh)
		if inBaDinh < 50 {
			t.Errorf("%d people live in Ba Đình after the moves", inBaDinh)
		}
		kinds := map[people.EventKind]int{}
		checked, marriedChecked := 0, 0
		err = register.Scan(e.ctx, d, register.ScanOptions{}, func(p *people.Person) error {
			h := e.history(p.PIN)
			if len(h) == 0 || h[0].Kind != people.KindBirth || p.Version != len(h) {
				t.Fatalf("%s: version %d, history %+v", p.PIN, p.Version, h)
			}
			fields := map[string]any{}
			for i, ev := range h {
				kinds[ev.Kind]++
				if ev.Version != i+1 || now.CertainlyBefore(ev.Effective) || i > 0 && ev.Effective.Key() < h[i-1].Effective.Key() {
					t.Fatalf("%s: entry %d %s on %s (versions or dates out of order)", p.PIN, i, ev.Kind, ev.Effective)
				}
				for k, c := range ev.Changes {
					fields[k] = c.New
				}
				// An act cites a law in force when it was recorded.
				for law, from := range map[string]int{"Luật Hộ tịch 2014": 20160101, "Luật Cư trú 2020": 20210701, "Luật Hôn nhân và gia đình 2014": 20150101, "Luật Hôn nhân và gia đình 1986": 19870103} {
					if strings.Contains(ev.LegalBasis, law) && ev.Effective.Key() < from {
						t.Fatalf("%s: %s on %s cites %s", p.PIN, ev.Kind, ev.Effective, ev.LegalBasis)
					}
				}
				if ev.LegalBasis == "" {
					t.Fatalf("%s: %s on %s cites no legal basis", p.PIN, ev.Kind, ev.Effective)
				}
			}
			var replayed people.Person
			b, _ := json.Marshal(fields)
			if err := json.Unmarshal(b, &replayed); err != nil {
				t.Fatal(err)
			}
			want := *p
			replayed.Version, replayed.CreatedAt, replayed.UpdatedAt = want.Version, want.CreatedAt, want.UpdatedAt
			if !reflect.DeepEqual(replayed, want) {
				t.Fatalf("%s: the history replayed gives\n%+v\nthe record is\n%+v", p.PIN, replayed, want)
			}
			checked++
			if p.SpousePIN != "" && marriedChecked < 20 {
				for _, ev := range h {
					if ev.Kind == people.KindMarriage {
						before, err := e.reg.GetAsOf(e.ctx, nation, p.PIN, civil.DateOf(ev.Effective.Earliest().AddDate(0, 0, -1)))
						if err != nil || before.SpousePIN != "" {
							t.Errorf("%s the day before the marriage: spouse %q, %v", p.PIN, before.SpousePIN, err)
						}
						marriedChecked++
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []people.EventKind{people.KindBirth, people.KindResidence, people.KindMarriage, people.KindDeath, people.KindCorrection} {
			if kinds[k] == 0 {
				t.Errorf("no %s in the story: %v", k, maps.Collect(maps.All(kinds)))
			}
		}
		if checked != 1500 || marriedChecked == 0 {
			t.Errorf("checked %d people, %d marriages", checked, marriedChecked)
		}
		again, err := register.Story(e.ctx, d, nil, opts)
		if err != nil || again.Events != 0 {
			t.Errorf("a second run: %+v, %v", again, err)
		}
	})
}
