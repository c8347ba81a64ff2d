package sectorsynth

import (
	"context"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/register"
)

// RegisterPopulation is the register in the store as a Population,
// for synthesising sector files from the real register: people stream
// household by household in a stable order (the same on every call, as
// Synthesize needs), with the fields the corruption model uses
// (register.ScanHouseholds). It reads only.
//
// People without a household (the dead, in a synthetic register) come each
// alone with an empty household, so their sector records carry no address
// unless the register holds one for them.
func RegisterPopulation(d *db.DB) Population {
	return func(ctx context.Context, fn func(h *people.Household, members []people.Person) error) error {
		return register.ScanHouseholds(ctx, d, fn)
	}
}
