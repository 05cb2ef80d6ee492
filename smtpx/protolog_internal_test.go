package smtpx

import (
	"crypto/tls"
	"reflect"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// A logged connection's own server keeps every setting of its connector's.
func TestCloneServerCopiesSettings(t *testing.T) {
	src := smtp.NewServer(backend{})
	src.Domain, src.MaxRecipients, src.MaxMessageBytes, src.MaxLineLength = "mx.example", 7, 1234, 999
	src.TLSConfig, src.AllowInsecureAuth, src.EnableSMTPUTF8, src.EnableDSN = &tls.Config{}, true, true, true
	src.ReadTimeout, src.ErrorLog = time.Minute, slogPrinter{}
	dst := cloneServer(src)
	sv, dv := reflect.ValueOf(src).Elem(), reflect.ValueOf(dst).Elem()
	for i := range sv.NumField() {
		f := sv.Type().Field(i)
		if f.IsExported() && !reflect.DeepEqual(sv.Field(i).Interface(), dv.Field(i).Interface()) {
			t.Errorf("field %s not copied", f.Name)
		}
	}
	if dst.Shutdown(t.Context()) != nil || src.Shutdown(t.Context()) != nil {
		t.Fatal("servers share state")
	}
}
