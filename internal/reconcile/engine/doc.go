// Package engine is the reconciliation engine: it cleans a sector database
// (driver's licences, bank customers, civil-status books) against the
// population register. For every record of a sector file it finds the
// person in the register, or says with evidence why not, and proposes the
// corrections the sector system can apply.
//
// It puts together the matching core (package reconcile: comparisons, the
// Fellegi–Sunter model, estimation, explanations) and the input side
// (package sector: reading and mapping sector files, synthetic files with
// ground truth):
//
//   - Index (LoadRegister) is the register in memory: one prepared
//     reconcile.Record per person, built as rows stream from the store
//     (never people.Person values for the whole register) and packed,
//     strings included, into a 128-byte slot of a reconcile.RecordStore
//     (memory without pointers, which the garbage collector does not
//     scan), and one block per blocking rule, 8 bytes per key of a person.
//     Stats says the bytes per person: about 184 counted and 186–190
//     measured on the heap with the default rules, so the index of 10M
//     people takes about 1.8 GB.
//   - Blocking is the union of DefaultRules: family name and birth year,
//     given name and birth date, PIN, CMND, phonetic name and province,
//     birth date with sex and province; provinces and communes in today's
//     units (pre-2025 ones mapped to their successors). Before the run the
//     pairs of each rule are counted exactly from the register's key
//     frequencies and printed; each rule is timed.
//   - Run estimates the model on a bounded sample of the sector file (u
//     from random pairs of records holding the value, the prior λ from the
//     exact-PIN rule, m by EM once per rule skipping the comparisons the
//     rule blocks on), then scores every record's candidates with a pool
//     of workers and decides: Exact (a verified PIN), Match (probability
//     against all candidates ≥ the threshold), Conflict (matched, fields
//     differ: corrections proposed), Deceased, Ambiguous (for review: two
//     candidates within the margin, or the best one below the threshold),
//     NotFound. It writes the decisions and corrections as CSV and returns
//     a Summary (the report's data: counts, m and u, pair counts and times
//     per rule, weight histograms, explanations, and precision, recall and
//     F1 against ground truth when given).
//
// What it must never do:
//
//   - Apply a probabilistic match below the threshold. A candidate below it
//     is reported as ambiguous (or not found below the review floor), with
//     its weight and explanation, for a person to decide; no PIN and no
//     correction is written for it.
//   - Change the register. It reads persons and households and writes
//     only its own output files; corrections go to the sector, never the
//     other way.
//   - Take a PIN as proof on its own. A PIN typed into the wrong record is
//     the error reconciliation exists to find: a record is exact only when
//     its name and date of birth agree with the PIN's holder.
//   - Let memory grow with the sector file. Records stream through a
//     bounded pipeline; only the register's index, a bounded sample and,
//     for one-to-one assignment, 8 bytes per register person are held.
//   - Leak register data the sector does not already hold beyond what the
//     decision needs: candidates are listed by PIN and weight, never with
//     the register's names or addresses; corrections carry the register's
//     values only for the record's own linked person.
//
// README.md in this directory documents the outputs and the commands of the
// benchmarks.
package engine
