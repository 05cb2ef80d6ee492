package agent

// CommandEvent is what a receive event other than end of headers or data
// carries: the session and the command's argument.
type CommandEvent struct {
	Session Session
	// Arg is the command's argument: the HELO/EHLO name, the AUTH
	// mechanism, the MAIL FROM or RCPT TO address (without brackets). At
	// end of authentication it is the mechanism too, and Session.AuthUser
	// is set when the login succeeded. Empty for other events.
	Arg string
	// Params are the command's ESMTP parameters ("SIZE=123", "NOTIFY=...").
	Params []string
	// Reply is, for OnReject, the 4xx/5xx sent; Arg is then the event
	// refused ("OnRcptCommand") when an agent refused it, empty when the
	// session did.
	Reply *Reply
	vars  *vars
}

// Value returns what an agent stored for this connection with SetValue.
func (e *CommandEvent) Value(key any) any { return e.vars.get(key) }

// SetValue stores per-connection state for later events of this
// connection (as the reference system's session properties). Use an
// unexported key type, as with context values.
func (e *CommandEvent) SetValue(key, val any) { e.vars.set(key, val) }

// Bypass marks the connection as trusted by the anti-spam agents (an
// allow-listed source); Bypassed reports it. The built-in agents honor it.
func (e *CommandEvent) Bypass() { e.vars.set(bypassKey{}, true) }

// Bypassed reports whether the connection is internal, authenticated or
// was allow-listed by an agent with Bypass.
func (e *CommandEvent) Bypassed() bool {
	return bypassed(&e.Session, e.vars)
}

func bypassed(s *Session, v *vars) bool {
	if s.Internal || s.Authenticated() {
		return true
	}
	if v == nil {
		return false
	}
	b, _ := v.get(bypassKey{}).(bool)
	return b
}
