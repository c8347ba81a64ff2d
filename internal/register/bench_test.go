package register_test

import (
	"fmt"
	"testing"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/units"
)

// benchPeople is the size of the register the read benchmarks run on.
const benchPeople = 100_000

// BenchmarkGet reads people by PIN from a register of 100,000 on SQLite. Each
// read writes its audit entry before returning, so this measures a read and
// an audit commit.
func BenchmarkGet(b *testing.B) {
	d := dbtest.SQLite(b, testSchemas...)
	e := newEnv(b, d)
	pins := population(b, d, benchPeople)
	for _, bc := range []struct {
		name string
		pr   auth.Principal
	}{
		{"nation", nation},
		{"province", registrarAt("01")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				p := pins[(i*7919)%len(pins)]
				i++
				if _, err := e.reg.Get(e.ctx, bc.pr, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				p := pins[(i*7919)%len(pins)]
				i++
				if _, err := e.reg.Get(e.ctx, nation, p); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkSearch searches a register of 100,000 on SQLite by name prefix,
// 20 results a page, as a nationwide, a province and a commune officer.
func BenchmarkSearch(b *testing.B) {
	d := dbtest.SQLite(b, testSchemas...)
	e := newEnv(b, d)
	population(b, d, benchPeople)
	names := []string{"nguyen van an", "tran thi", "le van hung", "pham minh", "hoang", "nguyen thi lan", "vu duc", "dang thanh"}
	commune := units.Default().Communes("01")[0].Code
	for _, bc := range []struct {
		name string
		pr   auth.Principal
		q    func(i int) register.Query
	}{
		{"nation", nation, func(i int) register.Query { return register.Query{Name: names[i%len(names)], Limit: 20} }},
		{"nation+birth", nation, func(i int) register.Query {
			return register.Query{Name: names[i%len(names)], BirthDate: mustDate(fmt.Sprintf("%d-06-15", 1960+i%40)), Limit: 20}
		}},
		{"province", registrarAt("01"), func(i int) register.Query { return register.Query{Name: names[i%len(names)], Limit: 20} }},
		{"commune", registrarAt(commune), func(i int) register.Query { return register.Query{Name: names[i%len(names)], Limit: 20} }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			i, results := 0, 0
			for b.Loop() {
				res, _, err := e.reg.Search(e.ctx, bc.pr, bc.q(i))
				if err != nil {
					b.Fatal(err)
				}
				results += len(res)
				i++
			}
			b.ReportMetric(float64(results)/float64(b.N), "results/op")
		})
	}
}
