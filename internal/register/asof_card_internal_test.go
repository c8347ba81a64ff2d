package register

import (
	"testing"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
)

// A record as of a day before its card was issued shows no card: an
// imported record's card is in no history entry to undo.
func TestAsOfBeforeTheCard(t *testing.T) {
	cur := people.Person{PIN: "001090000001", FullName: "Bùi Văn Độc", Sex: civil.Male, BirthDate: civil.Date{Year: 1960, Month: 1, Day: 2}, Status: people.Alive,
		Card: people.IDCard{Number: "001090000001", Issued: civil.Date{Year: 2017, Month: 3, Day: 4}, Expires: civil.Date{Year: 2035, Month: 1, Day: 2}}}
	for day, want := range map[civil.Date]bool{{Year: 1980, Month: 1, Day: 1}: false, {Year: 2017, Month: 3, Day: 3}: false, {Year: 2017, Month: 3, Day: 4}: true, {Year: 2020, Month: 1, Day: 1}: true} {
		past, err := asOf(cur, nil, day)
		if err != nil {
			t.Fatal(err)
		}
		if got := past.Card.Number != ""; got != want {
			t.Errorf("as of %s: card shown %v, want %v", day, got, want)
		}
	}
}
