// Package sector reads the records of sector databases (driver's licences,
// bank customers, civil-status books, …) for reconciliation against the
// population register. Synthetic sector files with ground truth are made by
// internal/reconcile/sectorsynth; this package knows their kinds (Kind, with
// the Mapping that reads each) and the truth file's format (TruthHeader).
//
//   - Rows, CSV, XLSX and Parquet read a sector file: RFC 4180 CSV in
//     UTF-8, comma or semicolon, the first worksheet of an Excel workbook
//     (.xlsx; an .xls is refused, saying so), or Parquet (flat columns),
//     streamed (a workbook is read whole, at most MaxXLSXBytes). Text in a
//     legacy Vietnamese encoding (TCVN3, VNI-Windows, Windows-1258) is
//     decoded, with a note on each record concerned; UTF-16 stops with an
//     *EncodingError naming the line and byte column. CSVToParquet and
//     ParquetWriter write CSV as Parquet.
//   - ParseMapping reads which column holds which register field
//     (full_name=HO_TEN, birth_date=NGAY_SINH:DD/MM/YYYY, …).
//   - Reader applies a mapping to rows and returns Records: raw values and
//     what they were understood to say (civil.Date, civil.Sex, PIN, CMND,
//     unit keys, phone). A value that cannot be understood becomes missing,
//     with a Note; it never stops the file.
//
// README.md in this directory documents the formats and the value rules.
//
// The package must never read or change the register: matching records to
// people is the reconciliation engine's work, not this package's. It must
// never repair a value silently (every assumption made to read a value
// leaves a Note), and never hold a whole input in memory.
package sector
