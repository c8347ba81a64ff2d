package exchange

// SetBatchLimit lowers the rows of a batch for a test, and restores it.
func SetBatchLimit(n int) (restore func()) {
	old := batchLimit
	batchLimit = n
	return func() { batchLimit = old }
}
