//go:build !race

package probe

// raceEnabled says the race detector is on, which allocates on its own.
const raceEnabled = false
