package agent

import "context"

// Event names an agent event. Receive events are listed in the order a
// session raises them; the routing events follow.
type Event uint8

// The receive events, in session order, then the ones that may come at any
// time, then the routing (categorizer) events in their order.
const (
	EventConnect Event = iota
	EventHelo
	EventEhlo
	EventStartTLS
	EventAuth
	EventEndOfAuthentication
	EventMail
	EventRcpt
	EventData
	EventEndOfHeaders
	EventEndOfData
	EventDisconnect
	EventNoop
	EventRset
	EventReject
	EventSubmitted
	EventResolved
	EventRouted
	EventCategorized
	numEvents
)

var eventNames = [numEvents]string{
	"OnConnect", "OnHeloCommand", "OnEhloCommand", "OnStartTlsCommand",
	"OnAuthCommand", "OnEndOfAuthentication", "OnMailCommand",
	"OnRcptCommand", "OnDataCommand", "OnEndOfHeaders", "OnEndOfData",
	"OnDisconnect", "OnNoopCommand", "OnRsetCommand", "OnReject",
	"OnSubmittedMessage", "OnResolvedMessage", "OnRoutedMessage",
	"OnCategorizedMessage",
}

// String returns the reference system's event name, e.g. "OnRcptCommand".
func (e Event) String() string {
	if e < numEvents {
		return eventNames[e]
	}
	return "Event(?)"
}

// The event interfaces. An agent implements only those it subscribes to;
// the chain finds them by type assertion when the agent is registered.
//
// Contract for every method: return nil to let the command proceed; a
// *Reply (or an error wrapping one) to answer the command with it and stop
// the event's chain; any other error counts as an agent failure (answered
// 451 4.7.0 unless the agent was registered fail-open). The context carries
// the event's deadline: a blocking agent must watch it. An agent must not
// keep the event value after it returns.
type (
	ConnectAgent interface {
		OnConnect(ctx context.Context, e *CommandEvent) error
	}
	HeloAgent interface {
		OnHeloCommand(ctx context.Context, e *CommandEvent) error
	}
	EhloAgent interface {
		OnEhloCommand(ctx context.Context, e *CommandEvent) error
	}
	StartTLSAgent interface {
		OnStartTlsCommand(ctx context.Context, e *CommandEvent) error
	}
	AuthAgent interface {
		OnAuthCommand(ctx context.Context, e *CommandEvent) error
	}
	EndOfAuthenticationAgent interface {
		OnEndOfAuthentication(ctx context.Context, e *CommandEvent) error
	}
	MailAgent interface {
		OnMailCommand(ctx context.Context, e *CommandEvent) error
	}
	RcptAgent interface {
		OnRcptCommand(ctx context.Context, e *CommandEvent) error
	}
	DataAgent interface {
		OnDataCommand(ctx context.Context, e *CommandEvent) error
	}
	EndOfHeadersAgent interface {
		OnEndOfHeaders(ctx context.Context, e *MessageEvent) error
	}
	EndOfDataAgent interface {
		OnEndOfData(ctx context.Context, e *MessageEvent) error
	}
	// DisconnectAgent, RsetAgent and RejectAgent are notifications: a
	// Reply they return is ignored.
	DisconnectAgent interface {
		OnDisconnect(ctx context.Context, e *CommandEvent) error
	}
	NoopAgent interface {
		OnNoopCommand(ctx context.Context, e *CommandEvent) error
	}
	RsetAgent interface {
		OnRsetCommand(ctx context.Context, e *CommandEvent) error
	}
	RejectAgent interface {
		OnReject(ctx context.Context, e *CommandEvent) error
	}

	// Routing agents run in the categorizer on a queued message; they
	// cannot answer SMTP, so a Reply they return counts as a failure.
	SubmittedAgent interface {
		OnSubmittedMessage(ctx context.Context, e *MessageEvent) error
	}
	ResolvedAgent interface {
		OnResolvedMessage(ctx context.Context, e *MessageEvent) error
	}
	RoutedAgent interface {
		OnRoutedMessage(ctx context.Context, e *MessageEvent) error
	}
	CategorizedAgent interface {
		OnCategorizedMessage(ctx context.Context, e *MessageEvent) error
	}
)

// subscribed returns the events a implements.
func subscribed(a any) (evs [numEvents]bool, any bool) {
	checks := [numEvents]bool{}
	_, checks[EventConnect] = a.(ConnectAgent)
	_, checks[EventHelo] = a.(HeloAgent)
	_, checks[EventEhlo] = a.(EhloAgent)
	_, checks[EventStartTLS] = a.(StartTLSAgent)
	_, checks[EventAuth] = a.(AuthAgent)
	_, checks[EventEndOfAuthentication] = a.(EndOfAuthenticationAgent)
	_, checks[EventMail] = a.(MailAgent)
	_, checks[EventRcpt] = a.(RcptAgent)
	_, checks[EventData] = a.(DataAgent)
	_, checks[EventEndOfHeaders] = a.(EndOfHeadersAgent)
	_, checks[EventEndOfData] = a.(EndOfDataAgent)
	_, checks[EventDisconnect] = a.(DisconnectAgent)
	_, checks[EventNoop] = a.(NoopAgent)
	_, checks[EventRset] = a.(RsetAgent)
	_, checks[EventReject] = a.(RejectAgent)
	_, checks[EventSubmitted] = a.(SubmittedAgent)
	_, checks[EventResolved] = a.(ResolvedAgent)
	_, checks[EventRouted] = a.(RoutedAgent)
	_, checks[EventCategorized] = a.(CategorizedAgent)
	for _, ok := range checks {
		any = any || ok
	}
	return checks, any
}

// dispatchCommand calls a's method for a command event.
func dispatchCommand(ctx context.Context, ev Event, a any, e *CommandEvent) error {
	switch ev {
	case EventConnect:
		return a.(ConnectAgent).OnConnect(ctx, e)
	case EventHelo:
		return a.(HeloAgent).OnHeloCommand(ctx, e)
	case EventEhlo:
		return a.(EhloAgent).OnEhloCommand(ctx, e)
	case EventStartTLS:
		return a.(StartTLSAgent).OnStartTlsCommand(ctx, e)
	case EventAuth:
		return a.(AuthAgent).OnAuthCommand(ctx, e)
	case EventEndOfAuthentication:
		return a.(EndOfAuthenticationAgent).OnEndOfAuthentication(ctx, e)
	case EventMail:
		return a.(MailAgent).OnMailCommand(ctx, e)
	case EventRcpt:
		return a.(RcptAgent).OnRcptCommand(ctx, e)
	case EventData:
		return a.(DataAgent).OnDataCommand(ctx, e)
	case EventDisconnect:
		return a.(DisconnectAgent).OnDisconnect(ctx, e)
	case EventNoop:
		return a.(NoopAgent).OnNoopCommand(ctx, e)
	case EventRset:
		return a.(RsetAgent).OnRsetCommand(ctx, e)
	case EventReject:
		return a.(RejectAgent).OnReject(ctx, e)
	}
	panic("agent: " + ev.String() + " is not a command event")
}

// dispatchMessage calls a's method for a message event.
func dispatchMessage(ctx context.Context, ev Event, a any, e *MessageEvent) error {
	switch ev {
	case EventEndOfHeaders:
		return a.(EndOfHeadersAgent).OnEndOfHeaders(ctx, e)
	case EventEndOfData:
		return a.(EndOfDataAgent).OnEndOfData(ctx, e)
	case EventSubmitted:
		return a.(SubmittedAgent).OnSubmittedMessage(ctx, e)
	case EventResolved:
		return a.(ResolvedAgent).OnResolvedMessage(ctx, e)
	case EventRouted:
		return a.(RoutedAgent).OnRoutedMessage(ctx, e)
	case EventCategorized:
		return a.(CategorizedAgent).OnCategorizedMessage(ctx, e)
	}
	panic("agent: " + ev.String() + " is not a message event")
}
