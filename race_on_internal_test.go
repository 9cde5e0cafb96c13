//go:build race

package commet

// raceEnabled is set when the tests run with the race detector, which
// makes every request of an import several times dearer (see
// race_on_test.go for the external tests' own).
const raceEnabled = true
