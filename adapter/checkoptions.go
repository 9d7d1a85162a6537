package adapter

// CheckCallOptions reports the InvalidArgument *Error of the first option
// that refuses its value (or is nil), or nil: what Update would fail with
// before sending anything. A batch checks its call options once, before
// its first record, instead of failing every record the same way.
func CheckCallOptions(opts ...CallOption) error {
	_, err := defaultCallConfig().with("CheckCallOptions", opts)
	return err
}
