package smtptest

import (
	"errors"
	"testing"

	"github.com/emersion/go-smtp"
)

func TestParseReply(t *testing.T) {
	tests := []struct {
		in      string
		want    smtp.SMTPError
		wantErr bool
	}{
		{in: "450 4.2.0 busy", want: smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "busy"}},
		{in: "250 ok", want: smtp.SMTPError{Code: 250, Message: "ok"}},
		{in: "550 5.1.1 no such user here", want: smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here"}},
		{in: "554", want: smtp.SMTPError{Code: 554}},
		{in: "451 4.3.0", want: smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}}},
		{in: "550 v1.2 is not a code", want: smtp.SMTPError{Code: 550, Message: "v1.2 is not a code"}},
		{in: "", wantErr: true},
		{in: "45 busy", wantErr: true},
		{in: "4500 busy", wantErr: true},
		{in: "354 go ahead", wantErr: true},
		{in: "199 x", wantErr: true},
		{in: "460 x", wantErr: true},
		{in: "450 5.2.0 mismatch", wantErr: true},
		{in: "450 9.2.0 bad class", wantErr: true},
		{in: "450 4.2222.0 long subject", wantErr: true},
		{in: "450 busy\r\n250 ok", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseReply(tt.in)
			if tt.wantErr {
				var pe *ParseError
				if !errors.As(err, &pe) || !errors.Is(err, ErrBadReply) || pe.Input != tt.in {
					t.Fatalf("ParseReply(%q) = %v, %v; want a *ParseError", tt.in, got, err)
				}
				return
			}
			if err != nil || *got != tt.want {
				t.Fatalf("ParseReply(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"450 4.2.0 busy", "250 ok", "554", "550 5.1.1 x y", "451 4.3.0", "450 5.0.0 x", "2x0", "250 2.0.0 2.0.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReply(s)
		if err != nil {
			return
		}
		if c := r.Code / 100; c != 2 && c != 4 && c != 5 {
			t.Fatalf("ParseReply(%q) accepted code %d", s, r.Code)
		}
		if r.EnhancedCode != smtp.EnhancedCodeNotSet && r.EnhancedCode[0] != r.Code/100 {
			t.Fatalf("ParseReply(%q): class %d for code %d", s, r.EnhancedCode[0], r.Code)
		}
		again, err := ParseReply(formatReply(r))
		if err != nil || *again != *r {
			t.Fatalf("round trip of %q: %+v -> %q -> %+v, %v", s, r, formatReply(r), again, err)
		}
	})
}
