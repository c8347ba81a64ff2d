package register_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
)

// TestRuleReasonsInWords: the reasons of the register's rules, as a
// Vietnamese page shows them, hold no English word, relation or status
// code, and no ISO date; the English page shows English words; both show
// dates as dd/mm/yyyy.
func TestRuleReasonsInWords(t *testing.T) {
	cat := i18n.MustLoad(os.DirFS("registerui/messages"))
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		officer := registrarAt(baDinh)
		dead := e.importMan(baDinh, "1980-02-03")
		if _, err := e.reg.RegisterDeath(e.ctx, officer, people.DeathRegistration{PIN: dead.PIN, DeathDate: mustDate("2024-03-04")}); err != nil {
			t.Fatal(err)
		}
		woman := e.importWoman(baDinh, "1990-01-01")
		young := e.importMan(baDinh, "2006-06-01")
		mother := e.importWoman(baDinh, "1995-05-05")
		tests := []struct {
			name   string
			do     func() error
			field  string
			vi, en []string // in the reason
		}{
			{"deceased cannot marry", func() error {
				_, err := e.reg.RegisterMarriage(e.ctx, officer, people.MarriageRegistration{PIN1: dead.PIN, PIN2: woman.PIN, Date: mustDate("2025-01-10")})
				return err
			}, "pin1", []string{"đã mất"}, []string{"deceased"}},
			{"under the age of marriage", func() error {
				_, err := e.reg.RegisterMarriage(e.ctx, officer, people.MarriageRegistration{PIN1: young.PIN, PIN2: woman.PIN, Date: mustDate("2025-01-10")})
				return err
			}, "pin1", []string{"10/01/2025", " nam "}, []string{"10/01/2025", " male "}},
			{"already deceased", func() error {
				_, err := e.reg.RegisterDeath(e.ctx, officer, people.DeathRegistration{PIN: dead.PIN, DeathDate: mustDate("2024-05-01")})
				return err
			}, "pin", []string{"04/03/2024"}, []string{"04/03/2024"}},
			{"a newborn cannot be head", func() error {
				_, err := e.reg.RegisterBirth(e.ctx, officer, people.BirthRegistration{FullName: "Trần Văn Bé", BirthDate: mustDate("2024-01-01"),
					Sex: civil.Male, BirthPlace: baDinh, MotherPIN: mother.PIN, Relation: people.Head})
				return err
			}, "relation_to_head", []string{"chủ hộ"}, []string{"head of the household"}},
			{"parent too young", func() error {
				_, err := e.reg.RegisterBirth(e.ctx, officer, people.BirthRegistration{FullName: "Trần Văn Bé", BirthDate: mustDate("2000-01-01"),
					Sex: civil.Male, BirthPlace: baDinh, MotherPIN: mother.PIN})
				return err
			}, "birth_date", []string{"05/05/1995", "12 tuổi"}, []string{"05/05/1995", "12 years"}},
		}
		iso := regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}\b`)
		english := regexp.MustCompile(`\b(is|the|and|of|deceased|male|female|head|minimum|recorded|married)\b`)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				pe := wantProblem(t, tc.do(), problem.Invalid, tc.field)
				fe := pe.Fields[0]
				vi := cat.Reason(i18n.Vietnamese, fe.Format, fe.Reason, fe.Args...)
				en := cat.Reason(i18n.English, fe.Format, fe.Reason, fe.Args...)
				for _, s := range []string{vi, en} {
					if iso.MatchString(s) {
						t.Errorf("ISO date in %q", s)
					}
				}
				if w := english.FindString(vi); w != "" {
					t.Errorf("Vietnamese reason %q holds the English word %q", vi, w)
				}
				for _, w := range tc.vi {
					if !strings.Contains(vi, w) {
						t.Errorf("Vietnamese reason %q does not say %q", vi, w)
					}
				}
				for _, w := range tc.en {
					if !strings.Contains(en, w) {
						t.Errorf("English reason %q does not say %q", en, w)
					}
				}
			})
		}
	})
}
