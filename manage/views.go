package manage

import (
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/tracking"
)

// The views below are what the API returns. Their JSON names are the
// property names of the reference system's Get-Queue, Get-Message,
// Get-MessageTrackingLog, Get-SendConnector, Get-ReceiveConnector and
// Get-AcceptedDomain objects, so scripts written against it read them.

// QueueView is one queue as Get-Queue shows it.
type QueueView struct {
	Identity         string    // Server\Submission, Server\3 ...
	DeliveryType     string    // SmartHostConnectorDelivery, DnsConnectorDelivery, Undefined ...
	NextHopDomain    string    // the recipient domain or the smart-host list
	NextHopConnector string    // the send connector's name
	Status           string    // Active, Ready, Retry, Suspended
	MessageCount     int       //
	LastError        string    //
	LastRetryTime    time.Time `json:",omitzero"`
	NextRetryTime    time.Time `json:",omitzero"`
}

// MessageView is one message in one queue as Get-Message shows it.
type MessageView struct {
	Identity       string // Server\Queue\MessageId
	FromAddress    string // the reverse-path; "" is the null sender
	Status         string // Active, Ready, Retry, Suspended, PendingSuspend, PendingRemove
	Size           int64  // bytes
	Queue          string // Server\Queue
	DateReceived   time.Time
	ExpirationTime time.Time `json:",omitzero"`
	LastError      string
	RetryCount     int
	NextRetryTime  time.Time `json:",omitzero"`
	Recipients     []RecipientView
}

// RecipientView is one recipient of a message.
type RecipientView struct {
	Address       string
	Status        string // Pending, Delivered, Failed
	LastError     string // the last reply, "451 4.4.0 ..."
	Queue         string // Server\Queue holding the recipient
	RetryCount    int
	NextRetryTime time.Time `json:",omitzero"`
}

// TrackingView is one message tracking record as Get-MessageTrackingLog
// shows it.
type TrackingView struct {
	Timestamp               time.Time
	ClientIp                string
	ClientHostname          string
	ServerIp                string
	ServerHostname          string
	SourceContext           string
	ConnectorId             string
	Source                  string
	EventId                 string
	InternalMessageId       string
	MessageId               string
	Recipients              []string
	RecipientStatus         []string
	TotalBytes              int64
	RecipientCount          int
	RelatedRecipientAddress string
	Reference               string
	MessageSubject          string
	Sender                  string
	ReturnPath              string
	MessageInfo             string
	Directionality          string
}

// SendConnectorView is a send connector's configuration, never its
// password (connector.Credential marshals the user name only) or its
// client certificate.
type SendConnectorView struct {
	Identity string
	connector.SendConfig
}

// ReceiveConnectorView is a receive connector's configuration with its
// Identity, Server\Name.
type ReceiveConnectorView struct {
	Identity string
	connector.ReceiveConfig
}

// AcceptedDomainView is an accepted domain as Get-AcceptedDomain shows it:
// Identity and Name are the name it was created under, DomainName the
// domain.
type AcceptedDomainView struct {
	Identity   string
	Name       string
	DomainName string
	DomainType string
}

func (h *Handler) queueView(hq hubQueue) QueueView {
	q := hq.info
	return QueueView{
		Identity:         h.num.identity(hq.hub, q.Identity),
		DeliveryType:     q.DeliveryType,
		NextHopDomain:    q.NextHopDomain,
		NextHopConnector: q.NextHopConnector,
		Status:           string(q.Status),
		MessageCount:     q.MessageCount,
		LastError:        q.LastError,
		LastRetryTime:    q.LastRetryTime,
		NextRetryTime:    q.NextRetryTime,
	}
}

// messageView shows m as it sits in the queue whose key is qkey.
func (h *Handler) messageView(hm hubMessage, qkey string) MessageView {
	m := hm.info
	qid := h.num.identity(hm.hub, qkey)
	v := MessageView{
		Identity:       qid + `\` + string(m.ID),
		FromAddress:    m.From,
		Status:         string(m.Status),
		Size:           m.Size,
		Queue:          qid,
		DateReceived:   m.Received,
		ExpirationTime: m.Expires,
		LastError:      m.LastError,
		RetryCount:     m.RetryCount,
		NextRetryTime:  m.NextRetryTime,
		Recipients:     make([]RecipientView, 0, len(m.Recipients)),
	}
	for _, r := range m.Recipients {
		rv := RecipientView{Address: r.Address, Status: r.Status, RetryCount: r.Attempts, NextRetryTime: r.NextRetryTime}
		if r.Queue != "" {
			rv.Queue = h.num.identity(hm.hub, r.Queue)
		}
		if r.LastResult != nil {
			rv.LastError = r.LastResult.String()
		}
		v.Recipients = append(v.Recipients, rv)
	}
	return v
}

func trackingView(r tracking.Record) TrackingView {
	return TrackingView{
		Timestamp: r.Time, ClientIp: r.ClientIP, ClientHostname: r.ClientHostname,
		ServerIp: r.ServerIP, ServerHostname: r.ServerHostname, SourceContext: r.SourceContext,
		ConnectorId: r.ConnectorID, Source: string(r.Source), EventId: string(r.EventID),
		InternalMessageId: r.InternalMessageID, MessageId: r.MessageID,
		Recipients: r.Recipients, RecipientStatus: r.RecipientStatus,
		TotalBytes: r.TotalBytes, RecipientCount: r.RecipientCount,
		RelatedRecipientAddress: r.RelatedRecipientAddress, Reference: r.Reference,
		MessageSubject: r.MessageSubject, Sender: r.Sender, ReturnPath: r.ReturnPath,
		MessageInfo: r.MessageInfo, Directionality: r.Directionality,
	}
}

func acceptedDomainView(d AcceptedDomain) AcceptedDomainView {
	name := d.Name
	if name == "" {
		name = d.Domain
	}
	return AcceptedDomainView{Identity: name, Name: name, DomainName: d.Domain, DomainType: d.Type.String()}
}
