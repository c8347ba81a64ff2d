// Package sectorsynth makes synthetic sector files (driver's licences, bank
// customers, civil-status books) with ground truth, to measure the
// reconciliation by: Synthesize derives a file of a sector.Kind from a
// register population (SynthPopulation: the synthetic one of
// internal/synth; RegisterPopulation: the register in the store) under a
// documented corruption model, and writes beside it the truth file
// (sector.TruthHeader) with the true PIN of every record. RatesOf and
// HeaderOf give each kind's corruption rates and columns.
//
// README.md in this directory documents the files and the corruption model
// with its rates. The same seed, population and configuration give
// byte-identical files.
//
// Its data must never be presented as, or mixed with, real people's: it is
// generated from a public seed. It is kept apart from
// internal/reconcile/sector so that the server, which reads real uploads,
// does not link the synthetic population: only the CLI (populus synth) and
// tests import it.
package sectorsynth
