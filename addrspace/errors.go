package addrspace

import "strconv"

// ParseError reports why an address space, list or domain could not be
// parsed. Offset is the byte offset in Input where the problem was found.
type ParseError struct {
	Input  string // the whole text given to the parser
	Offset int    // byte offset of the offending text in Input
	Msg    string // the reason, e.g. "bad cost"
	Err    error  // underlying cause (for example from IDNA), may be nil
}

// Error formats the error as
//
//	addrspace: parse "contoso.com;x": bad cost (at ";x")
func (e *ParseError) Error() string {
	s := "addrspace: parse " + strconv.Quote(e.Input) + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Offset >= 0 && e.Offset < len(e.Input) {
		s += " (at " + strconv.Quote(e.Input[e.Offset:]) + ")"
	}
	return s
}

// Unwrap returns the underlying cause, if any.
func (e *ParseError) Unwrap() error { return e.Err }
