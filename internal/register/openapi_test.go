package register_test

import (
	"testing"

	"github.com/populus-vn/populus/internal/httpx/apitest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/register"
)

// The register's API document has exactly the fields its types encode.
func TestOpenAPISchemas(t *testing.T) {
	apitest.Schemas(t, (*register.Register)(nil).OpenAPI(), map[string]any{
		"Person":                people.Person{},
		"Event":                 people.Event{},
		"Member":                people.Member{},
		"Household":             register.HouseholdView{},
		"Address":               people.Address{},
		"EventBirth":            people.BirthRegistration{},
		"EventDeath":            people.DeathRegistration{},
		"EventMarriage":         people.MarriageRegistration{},
		"EventDivorce":          people.DivorceRecord{},
		"EventResidence":        people.ResidenceRegistration{},
		"EventResidenceRemoval": people.ResidenceRemoval{},
		"EventCorrection":       people.Correction{},
		"EventAnnulment":        people.Annulment{},
		"EventHeadChange":       people.HeadChange{},
		"EventAck":              register.Acknowledgement{},
	})
}
