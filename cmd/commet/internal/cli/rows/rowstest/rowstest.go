// Package rowstest makes the input files that the command line's tests
// read: the rows package's own tests and the commands' tests share them, so
// that both hold the same file to the same account of its rows.
package rowstest

import (
	"fmt"
	"strings"
)

// ThousandUsers is a CSV of 1,000 users under the header
// "id,email,fullName" (line n, from 2 to 1001, is
// "u<n>,u<n>@example.com,User <n>"), line n replaced by replace[n] where
// replace holds it.
func ThousandUsers(replace map[int]string) string {
	var b strings.Builder
	b.WriteString("id,email,fullName\n")
	for i := 2; i <= 1001; i++ {
		if s, ok := replace[i]; ok {
			b.WriteString(s + "\n")
			continue
		}
		fmt.Fprintf(&b, "u%d,u%d@example.com,User %d\n", i, i, i)
	}
	return b.String()
}
