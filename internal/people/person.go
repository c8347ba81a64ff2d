package people

import (
	"time"

	"github.com/populus-vn/populus/internal/civil"
)

// Person is one citizen's entry in the register (nhân khẩu / công dân).
type Person struct {
	PIN         string     `json:"pin"`
	CMND        string     `json:"cmnd,omitempty"`
	FullName    string     `json:"full_name"`
	OtherNames  []string   `json:"other_names,omitempty"`
	BirthDate   civil.Date `json:"birth_date"`
	Sex         civil.Sex  `json:"sex"`
	BirthPlace  string     `json:"birth_place"` // unit code where the birth was registered
	Hometown    string     `json:"hometown"`    // quê quán: unit code of the family's origin
	Ethnicity   string     `json:"ethnicity"`   // 2-digit code of one of the 54 groups
	Religion    string     `json:"religion"`    // code from civil.Religions; "" or "00" for none
	Nationality string     `json:"nationality"` // ISO 3166-1 alpha-2
	Permanent   Address    `json:"permanent_residence"`
	Temporary   Address    `json:"temporary_residence"`
	Current     Address    `json:"current_address"`
	HouseholdID string     `json:"household_id,omitempty"`
	Relation    Relation   `json:"relation_to_head,omitempty"`
	FatherPIN   string     `json:"father_pin,omitempty"`
	MotherPIN   string     `json:"mother_pin,omitempty"`
	SpousePIN   string     `json:"spouse_pin,omitempty"`
	Card        IDCard     `json:"id_card"`
	Status      Status     `json:"status"`
	DeathDate   civil.Date `json:"death_date"`
	Version     int        `json:"version"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// Address is a place of residence: an administrative unit (a commune-level
// code since 1 July 2025) and the house number, street, hamlet.
type Address struct {
	Unit   string `json:"unit_code"`
	Detail string `json:"detail"`
}

// IsZero reports whether no address is recorded.
func (a Address) IsZero() bool { return a.Unit == "" && a.Detail == "" }

// IDCard is the chip-based citizen identity card (CCCD gắn chip / thẻ căn cước).
type IDCard struct {
	Number  string     `json:"number,omitempty"`
	Issued  civil.Date `json:"issued"`
	Expires civil.Date `json:"expires"`
}

// Status says whether a person is alive.
type Status string

const (
	Alive    Status = "alive"
	Deceased Status = "deceased"
	Missing  Status = "missing" // declared missing by a court
	// Annulled is a record whose birth registration was annulled: the
	// PIN stays, never to be issued again, and the record is void.
	Annulled Status = "annulled"
)

// Relation is a member's relationship to the head of the household (quan hệ với chủ hộ).
type Relation string

const (
	Head        Relation = "head"
	Spouse      Relation = "spouse"
	Child       Relation = "child"
	Parent      Relation = "parent"
	Grandchild  Relation = "grandchild"
	Grandparent Relation = "grandparent"
	Sibling     Relation = "sibling"
	ChildInLaw  Relation = "child_in_law"
	OtherKin    Relation = "other_kin"
	Other       Relation = "other"
)

// Relations lists every relation, in display order.
var Relations = []Relation{Head, Spouse, Child, Parent, Grandchild, Grandparent, Sibling, ChildInLaw, OtherKin, Other}

// Valid reports whether r is a known relation.
func (r Relation) Valid() bool {
	for _, x := range Relations {
		if r == x {
			return true
		}
	}
	return false
}

// Household is a hộ gia đình: the paper household book (sổ hộ khẩu) is gone
// since 2023, but households remain in the register with one head.
type Household struct {
	ID        string    `json:"id"`
	UnitCode  string    `json:"unit_code"`
	Address   string    `json:"address"`
	CreatedAt time.Time `json:"created_at"`
}

// Member is a person as listed on a household page.
type Member struct {
	PIN       string     `json:"pin"`
	FullName  string     `json:"full_name"`
	BirthDate civil.Date `json:"birth_date"`
	Sex       civil.Sex  `json:"sex"`
	Relation  Relation   `json:"relation_to_head"`
	Status    Status     `json:"status"`
}
