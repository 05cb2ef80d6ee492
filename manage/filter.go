package manage

import (
	"strconv"
	"strings"

	"github.com/hubedge/hubedge/queue"
)

// queueFilter is Get-Queue's -Status, -NextHopDomain, -DeliveryType,
// -Exclude Empty and -Filter.
type queueFilter struct {
	status        queue.QueueStatus
	nextHopDomain string
	deliveryType  string
	excludeEmpty  bool
	expr          Expr
}

func parseQueueFilter(p params) (queueFilter, error) {
	var f queueFilter
	var err error
	if s := p["Status"]; s != "" {
		if f.status, err = ParseQueueStatus(s); err != nil {
			return f, err
		}
	}
	f.nextHopDomain, f.deliveryType = p["NextHopDomain"], p["DeliveryType"]
	switch ex := p["Exclude"]; {
	case ex == "":
	case strings.EqualFold(ex, "Empty"):
		f.excludeEmpty = true
	default:
		return f, &InputError{Param: "Exclude", Value: ex, Msg: "only Empty is supported"}
	}
	if s := p["Filter"]; s != "" {
		if f.expr, err = ParseFilter(s, queueProperties); err != nil {
			return f, err
		}
	}
	return f, nil
}

func (f queueFilter) match(v QueueView) bool {
	return (f.status == "" || string(f.status) == v.Status) &&
		(f.nextHopDomain == "" || wildcard(f.nextHopDomain, v.NextHopDomain)) &&
		(f.deliveryType == "" || strings.EqualFold(f.deliveryType, v.DeliveryType)) &&
		(!f.excludeEmpty || v.MessageCount > 0) &&
		f.expr.Match(func(prop string) string { return queueProperty(v, prop) })
}

// queueProperties are the properties -Filter may name.
var queueProperties = []string{"Identity", "DeliveryType", "Status", "MessageCount", "NextHopDomain", "NextHopConnector", "LastError"}

func queueProperty(v QueueView, prop string) string {
	switch prop {
	case "Identity":
		return v.Identity
	case "DeliveryType":
		return v.DeliveryType
	case "Status":
		return v.Status
	case "MessageCount":
		return strconv.Itoa(v.MessageCount)
	case "NextHopDomain":
		return v.NextHopDomain
	case "NextHopConnector":
		return v.NextHopConnector
	case "LastError":
		return v.LastError
	}
	return ""
}

// messageFilter is Get-Message's -Status, -Sender and -ResultSize.
type messageFilter struct {
	status     queue.MessageStatus
	sender     string
	resultSize int
}

func parseMessageFilter(p params) (messageFilter, error) {
	var f messageFilter
	var err error
	if s := p["Status"]; s != "" {
		if f.status, err = ParseMessageStatus(s); err != nil {
			return f, err
		}
	}
	f.sender = p["Sender"]
	f.resultSize, err = parseResultSize(p["ResultSize"])
	return f, err
}

func (f messageFilter) match(v MessageView) bool {
	return (f.status == "" || string(f.status) == v.Status) &&
		(f.sender == "" || wildcard(f.sender, v.FromAddress))
}

// wildcard matches s against pattern without regard to case; "*" in
// pattern stands for any run of characters, as in -like.
func wildcard(pattern, s string) bool {
	pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last)
}
