package reconcile

import (
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
)

func samplePerson() people.Person {
	return people.Person{
		PIN:       "079085001234",
		CMND:      "025123456",
		FullName:  "Nguyễn Văn An",
		BirthDate: civil.Date{Year: 1985, Month: 4, Day: 2},
		Sex:       civil.Male,
		Permanent: people.Address{Unit: "26740", Detail: "12 Lê Lợi"},
		Current:   people.Address{Unit: "00004"},
	}
}
