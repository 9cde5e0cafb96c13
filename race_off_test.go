//go:build !race

package commet_test

// raceEnabled is set when the tests run with the race detector, which
// changes what allocates (sync.Pool drops what it is given at random).
const raceEnabled = false
