//go:build race

package strmatch

// raceOn thins the long comparisons: the race detector slows the scans
// tenfold and they share no memory to check.
const raceOn = true
