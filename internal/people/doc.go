// Package people is the vocabulary of the population register: the types
// every part of Populus uses to speak about people, households and civil
// events, with their JSON and the pure rules that need nothing but them.
//
//   - Person, Address, IDCard, Status, Relation: one citizen's record as the
//     register holds it; Household and Member, a household and a person as
//     listed on its page.
//   - BirthRegistration, DeathRegistration, MarriageRegistration,
//     DivorceRecord, ResidenceRegistration, ResidenceRemoval, Correction (each
//     with Meta): the requests of the civil events; EventKind names them.
//   - Event and Change: an entry of a person's history, with each field's old
//     and new value.
//   - ResponsibleUnit: the commune whose officers answer for a person.
//   - NormalizeName: the rule of a person's name (which characters, how
//     long, NFC), MaxNameLen and MaxOtherNames.
//   - Person.AppendJSON: the hand-written encoding of a person, byte for byte
//     what encoding/json writes.
//
// The package is a leaf: it imports only internal/civil, internal/pin,
// internal/units, the standard library and
// golang.org/x/text's normalisation (which internal/civil links already), so that packages which only
// speak about people (record linkage, the synthetic population, the web
// pages) need not link the register's store, authorisation or audit log. The
// register (internal/register) owns the rules of civil events, the storage,
// authorisation and audit; this package has no I/O.
package people
