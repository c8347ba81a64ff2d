package people

import (
	"time"

	"github.com/populus-vn/populus/internal/civil"
)

// EventKind names a civil event (sự kiện hộ tịch / cư trú).
type EventKind string

const (
	KindBirth            EventKind = "birth"             // đăng ký khai sinh
	KindDeath            EventKind = "death"             // đăng ký khai tử
	KindMarriage         EventKind = "marriage"          // đăng ký kết hôn
	KindDivorce          EventKind = "divorce"           // ly hôn (court decision recorded)
	KindResidence        EventKind = "residence"         // đăng ký thường trú / tạm trú
	KindResidenceRemoval EventKind = "residence_removal" // xóa đăng ký thường trú / tạm trú
	KindCorrection       EventKind = "correction"        // cải chính hộ tịch
	KindImport           EventKind = "import"            // initial load from a legacy system
	KindAnnulment        EventKind = "annulment"         // hủy bỏ việc đăng ký trái pháp luật hoặc nhầm lẫn
	KindHeadChange       EventKind = "head_change"       // thay đổi chủ hộ
)

// Meta is what every civil event carries besides its facts: why, on what
// legal basis, and when it took effect (the date on the civil-status act).
type Meta struct {
	Reason     string     `json:"reason"`
	LegalBasis string     `json:"legal_basis"`
	Effective  civil.Date `json:"effective_date"`
}

// Change is the old and new value of one field.
type Change struct {
	Old any `json:"old"`
	New any `json:"new"`
}

// Event is one entry of a person's history.
type Event struct {
	PIN        string            `json:"pin"`
	Version    int               `json:"version"`
	Kind       EventKind         `json:"kind"`
	EventID    string            `json:"event_id"` // shared by the entries of one civil event (a marriage touches two people)
	Effective  civil.Date        `json:"effective_date"`
	RecordedAt time.Time         `json:"recorded_at"`
	Actor      string            `json:"actor"`
	Reason     string            `json:"reason"`
	LegalBasis string            `json:"legal_basis"`
	Changes    map[string]Change `json:"changes"`
	// Details are the particulars of the act beyond the fields it changed:
	// the court and judgment of a divorce, the place of birth, declarant
	// and certificate of a birth, the act an annulment voids (DetailCourt, …).
	Details map[string]string `json:"details,omitempty"`
}

// BirthRegistration registers a newborn: issues a PIN, links the parents and
// adds the child to a household.
type BirthRegistration struct {
	FullName    string     `json:"full_name"`
	BirthDate   civil.Date `json:"birth_date"`
	Sex         civil.Sex  `json:"sex"`
	BirthPlace  string     `json:"birth_place"` // commune code where the birth is registered
	Hometown    string     `json:"hometown"`
	Ethnicity   string     `json:"ethnicity"`
	Nationality string     `json:"nationality"`
	FatherPIN   string     `json:"father_pin"`
	MotherPIN   string     `json:"mother_pin"`
	// HouseholdID is the household the child joins; empty means the mother's
	// (or else the father's) household.
	HouseholdID string   `json:"household_id"`
	Relation    Relation `json:"relation_to_head"` // default child (or grandchild, …)
	// ActualPlace is where the child was born (a hospital, a home), which
	// may differ from where the birth is registered (BirthPlace).
	ActualPlace Address `json:"actual_birth_place"`
	// The declarant (người đi khai sinh) and their relation to the child,
	// and the number of the medical birth certificate (giấy chứng sinh).
	DeclarantName     string `json:"declarant_name"`
	DeclarantRelation string `json:"declarant_relation"`
	CertificateNumber string `json:"birth_certificate_number"`
	Meta
}

// DeathRegistration records a death.
type DeathRegistration struct {
	PIN       string     `json:"pin"`
	DeathDate civil.Date `json:"death_date"`
	Meta
}

// MarriageRegistration records a marriage between two living, unmarried adults.
// A party whose record is kept out of the officer's reach (the marriage
// registered where the other lives) is married only in person, as the law
// asks of both: CardNumber and CardIssued are the number and the date of
// issue of that party's chip card as read at the counter.
type MarriageRegistration struct {
	PIN1       string     `json:"pin1"`
	PIN2       string     `json:"pin2"`
	Date       civil.Date `json:"date"`
	CardNumber string     `json:"card_number,omitempty"`
	CardIssued civil.Date `json:"card_issued,omitzero"`
	Meta
}

// DivorceRecord records a divorce decided by a court: the court, the
// number and date of its judgment or decision, and Date, the day it took
// legal effect (the marriage ends then).
type DivorceRecord struct {
	PIN1 string     `json:"pin1"`
	PIN2 string     `json:"pin2"`
	Date civil.Date `json:"date"`
	Judgment
	Meta
}

// Judgment is a court's judgment or decision (bản án, quyết định).
type Judgment struct {
	Court  string     `json:"court"`
	Number string     `json:"judgment_number"`
	Date   civil.Date `json:"judgment_date"`
}

// The keys of Event.Details.
const (
	DetailCourt             = "court"
	DetailJudgmentNumber    = "judgment_number"
	DetailJudgmentDate      = "judgment_date"
	DetailActualPlaceUnit   = "actual_birth_place.unit_code"
	DetailActualPlaceDetail = "actual_birth_place.detail"
	DetailDeclarantName     = "declarant_name"
	DetailDeclarantRelation = "declarant_relation"
	DetailCertificateNumber = "birth_certificate_number"
	DetailAnnulledEvent     = "annulled_event"
	DetailAnnulledKind      = "annulled_kind"
	// Who registered the act, as the history shows them: the officer's
	// name, role and unit at the time (Actor keeps the account).
	DetailActorName = "actor_name"
	DetailActorRole = "actor_role"
	DetailActorUnit = "actor_unit"
)

// ResidenceKind distinguishes permanent from temporary residence.
type ResidenceKind string

const (
	PermanentResidence ResidenceKind = "permanent" // thường trú
	TemporaryResidence ResidenceKind = "temporary" // tạm trú
)

// ResidenceRegistration registers a permanent or temporary residence. For a
// permanent residence the person joins a household: an existing one
// (HouseholdID, with Relation to its head) or a new one of which they are head.
// A person whose record is kept out of the officer's reach is registered
// only in person: CardNumber and CardIssued are the number and the date of
// issue of their chip card as read at the counter (for a person who holds
// none, a parent's); the number alone is the PIN, known to many.
type ResidenceRegistration struct {
	PIN         string        `json:"pin"`
	Kind        ResidenceKind `json:"kind"`
	Address     Address       `json:"address"`
	HouseholdID string        `json:"household_id"`
	Relation    Relation      `json:"relation_to_head"`
	CardNumber  string        `json:"card_number,omitempty"`
	CardIssued  civil.Date    `json:"card_issued,omitzero"`
	Meta
}

// ResidenceRemoval removes a permanent or temporary residence registration.
type ResidenceRemoval struct {
	PIN  string        `json:"pin"`
	Kind ResidenceKind `json:"kind"`
	Meta
}

// Correction corrects a name or date of birth (cải chính hộ tịch).
type Correction struct {
	PIN       string      `json:"pin"`
	FullName  *string     `json:"full_name"`
	BirthDate *civil.Date `json:"birth_date"`
	Meta
}

// Annulment voids a civil act registered by mistake or against the law
// (hủy bỏ việc đăng ký hộ tịch, cư trú): the fields it changed are set back,
// and a birth's record is marked annulled (its PIN is never issued again).
// The act stays in the history beside its annulment. Only the latest act of
// each person it touched can be annulled: later acts are annulled first.
type Annulment struct {
	EventID string `json:"event_id"`
	Meta
}

// HeadChange names a new head of a household (thay đổi chủ hộ): a living
// member becomes head, the former head stays a member with the relation
// given to the new head (or leaves, with the residence events).
type HeadChange struct {
	HouseholdID string `json:"household_id"`
	NewHeadPIN  string `json:"new_head_pin"`
	// FormerHeadRelation is the former head's relation to the new head;
	// required when the former head is alive and stays a member.
	FormerHeadRelation Relation `json:"former_head_relation"`
	// Relations are the other members' relations to the new head, by PIN;
	// a member not named keeps their relation, other_kin if it was to the
	// former head as spouse, child, ….
	Relations map[string]Relation `json:"relations,omitempty"`
	Meta
}
