// Package register is the national population register (Cơ sở dữ liệu quốc gia
// về dân cư): people, households, and the civil events that change them. It is
// the single source of identity data that every other part of Populus reads.
//
// Every change is an append-only event recording who, when, why and on what
// legal basis, with the old and new value of each field it touched, so a
// record can be read as of any moment and its history shown. The rules of the
// register (no PIN reuse, a deceased person cannot marry, a child is not born
// before a parent, one head per household) are enforced here, whatever the
// caller. So are authorisation and audit: every read and write takes the
// staff principal, asks the auth policy about the units of the records it
// actually touches (inside the transaction), and leaves an audit entry.
//
// The register's vocabulary (Person, Household, the civil-event requests,
// Event) lives in internal/people, which packages that only speak about
// people import instead of this one.
package register
