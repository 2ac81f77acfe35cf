//go:build race

package sockets

// raceEnabled says the race detector is on, which allocates on its own.
const raceEnabled = true
