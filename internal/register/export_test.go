package register

import "time"

// SetClock replaces the register's clock for a test and returns the function
// that restores it. Tests that use it must not run in parallel with others.
func SetClock(f func() time.Time) (restore func()) {
	old := now
	now = f
	return func() { now = old }
}

// BlankColumns are the persons and households columns bulk writes bind as
// NULL when empty.
var BlankColumns = map[string][]string{"persons": personBlank, "households": householdBlank}

// PINText is pinText, for the test of migration 0009.
var PINText = pinText

// ForgetCardChecks forgets the chip cards that did not match, for tests
// that show many on purpose.
func (r *Register) ForgetCardChecks() { r.cards = newCardChecks() }
