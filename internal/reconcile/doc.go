// Package reconcile is the matching core of the reconciliation engine, which
// cleans sector databases (driver's licences, bank customers, civil-status
// books) against the population register: for every sector record it finds
// the person in the register, or says with evidence why not.
//
// This package scores candidate pairs. It holds:
//
//   - string comparators for names: Jaro–Winkler, Damerau–Levenshtein
//     (optimal string alignment) with an early-exit bound, on code points;
//   - Record, a sector or register record prepared once (folded name and its
//     words, date digits, old units mapped to today's, what the PIN says) so
//     that comparing a pair parses nothing and allocates nothing;
//   - comparisons, each sorting a pair into levels of agreement on one field:
//     names (exact, without diacritics, words reordered, middle name missing,
//     one edit once OCR confusions are read as one letter, the words of one a
//     subset of the other's in any order with none, one or several words one
//     edit off, Jaro–Winkler 0.92 and 0.88, two edits, all words but one),
//     date of birth (exact, day and month swapped, one digit off, day and
//     month agree with the year one off, partial date agrees, year ± 1), sex, PIN
//     (exact, one digit off, consistent with sex and birth year), CMND,
//     address through the 2025 reorganisation, phone; a missing value is the
//     Null level and weighs nothing;
//   - a Fellegi–Sunter Model: u estimated from random pairs, m by
//     expectation–maximisation on blocked pairs, the prior from a
//     deterministic rule, term-frequency adjustment of name agreement from
//     the register's own frequencies; and Explain, the per-comparison
//     weights that add up to a pair's score.
//
// Reading sector files, blocking, one-to-one assignment, decisions and
// reports are built on it elsewhere (sector data lives in the sector
// subpackage).
//
// What it must never do:
//
//   - Decide. A weight or probability is evidence for the engine's decision
//     rules; a probabilistic match below the threshold must never be applied
//     silently, here or by a caller: it is reported as ambiguous or not
//     found, with its explanation, for a person to review.
//   - Treat a missing value as a disagreement, or a PIN or CMND as proof on
//     its own: a PIN typed into the wrong customer's record is the very error
//     reconciliation exists to find, and two people can share a CMND.
//   - Change the register. It reads register records and proposes nothing;
//     corrections are the engine's output, for the sector to apply.
//   - Allocate or parse while scoring a pair: it runs for hundreds of
//     millions of candidate pairs (BenchmarkScore).
package reconcile
