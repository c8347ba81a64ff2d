package engine

import (
	"errors"
	"io"

	"github.com/populus-vn/populus/internal/reconcile/sector"
)

// ParquetColumnType is the Parquet type of a column of the decisions and
// corrections files: probability and match_weight are doubles, line an
// int64, the others strings (their values as they are, without the quote
// that neutralises them for spreadsheets in CSV); every column is
// optional, an empty value null.
func ParquetColumnType(column string) sector.ParquetType {
	switch column {
	case "probability", "match_weight":
		return sector.ParquetDouble
	case "line":
		return sector.ParquetInt64
	}
	return sector.ParquetText
}

// ParquetOutput returns an Output that writes the decisions and the
// corrections to dec and cor as Parquet files with the columns of
// DecisionsHeader and CorrectionsHeader (typed by ParquetColumnType),
// converted from Run's CSV while it is written, row group by row group
// (sector.ParquetRowGroupRows rows), so memory stays bounded. finish must
// be called after Run with Run's error: it completes both files (or, after
// an error, abandons them) and returns the first error.
func ParquetOutput(dec, cor io.Writer) (out Output, finish func(runErr error) error) {
	d := sector.NewParquetWriter(dec, ParquetColumnType)
	c := sector.NewParquetWriter(cor, ParquetColumnType)
	return Output{Decisions: d, Corrections: c}, func(runErr error) error {
		if runErr != nil {
			d.Abort(runErr)
			c.Abort(runErr)
			return runErr
		}
		return errors.Join(d.Close(), c.Close())
	}
}
