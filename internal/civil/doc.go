// Package civil holds the small vocabulary of civil-status facts that every
// part of Populus shares: sex and partial dates (real records often know only
// the year, or the month and year, of a birth).
//
// It depends on nothing in the project but textfold, and must never depend
// on a capability.
package civil
