package sector

// The truth file is written beside a synthetic sector file
// (internal/reconcile/sectorsynth) and read by the engine to measure
// precision and recall.

// Truth cases, the third column of the truth file.
const (
	CaseMatch         = "match"           // a living person of the register
	CaseDeceased      = "deceased"        // a person of the register who has died
	CaseDuplicate     = "duplicate"       // a second record of the person of an earlier record
	CaseSibling       = "sibling"         // a sibling of the person of the record before
	CaseTwin          = "twin"            // a twin of the person of the record before
	CaseNotInRegister = "not-in-register" // a person the register does not hold; the PIN column is empty
)

// TruthHeader is the header of the truth file: the sector id, the true PIN
// (empty for people not in the register), the case, and the corruptions
// applied, as space-separated tags (README.md lists them).
var TruthHeader = []string{"id", "pin", "case", "corruptions"}
