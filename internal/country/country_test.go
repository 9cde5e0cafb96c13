package country

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAssignedCountsTheOfficialList(t *testing.T) {
	n := 0
	for a := byte('A'); a <= 'Z'; a++ {
		for b := byte('A'); b <= 'Z'; b++ {
			if Assigned(string([]byte{a, b})) {
				n++
			}
		}
	}
	assert.Equal(t, 249, n, "ISO 3166-1 has 249 official alpha-2 assignments")
}

func TestAssigned(t *testing.T) {
	for _, code := range []string{
		"GB", "US", "FR", "DE", "JP", "AD", "ZW", "AX", "BL", "BQ", "CW", "MF", "SS", "SX", "EH", "PS", "TL", "GG", "JE", "IM", "AQ", "UM",
	} {
		assert.True(t, Assigned(code), code)
	}
	for _, code := range []string{
		"UK", "EU", "XK", "XX", "ZZ", "AA", "QM", "QZ", "XA", "AN", "CS", "YU", "TP", "ZR", "UN", "EZ",
		"gb", "Gb", "gB", "", "G", "GBR", " GB", "GB ", "G1", "\x00\x00", "ÉU",
	} {
		assert.False(t, Assigned(code), "%q", code)
	}
}
