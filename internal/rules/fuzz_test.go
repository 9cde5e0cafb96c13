package rules

import (
	"strings"
	"testing"
)

// FuzzEmailFastPath: the plain form emailProblem takes without net/mail
// changes no answer: whatever the string, emailProblem says what net/mail
// alone says.
//
//	go test -fuzz FuzzEmailFastPath ./internal/rules
func FuzzEmailFastPath(f *testing.F) {
	for _, s := range []string{"ada@example.com", "a.b@x-y.z", " ada@example.com ", "a@b", "a..b@c.d", "-a@-b.c",
		"#!$%&'*+-/=?^_`{|}~@example.com", "josé@bücher.de", "\"a b\"@example.com", "a@[127.0.0.1]", "Ada <ada@example.com>", "a@b.c\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := emailProblem(s), parsedEmailProblem(strings.TrimSpace(s)); got != want {
			t.Fatalf("%q: %q, where net/mail alone says %q (plain: %v)", s, got, want, plainEmail(strings.TrimSpace(s)))
		}
	})
}
