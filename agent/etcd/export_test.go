package etcd

// SetBetweenTxns makes Read call f between its transactions; the returned
// function restores the default. Tests only.
func SetBetweenTxns(f func()) (restore func()) {
	old := betweenTxns
	betweenTxns = f
	return func() { betweenTxns = old }
}
