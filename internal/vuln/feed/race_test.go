//go:build race

package feed

// raceOn: the race detector's shadow memory makes RSS meaningless.
const raceOn = true
