package deps

import (
	_ "github.com/emersion/go-message/textproto"
	_ "github.com/emersion/go-sasl"
	_ "github.com/emersion/go-smtp"
	_ "github.com/miekg/dns"
	_ "github.com/stretchr/testify/require"
	_ "go.etcd.io/bbolt"
	_ "golang.org/x/crypto/bcrypt"
	_ "golang.org/x/net/idna"
	_ "go.uber.org/goleak"
)
