//go:build race

package accounts

// raceDetector: the race detector multiplies yescrypt's cost; heavy
// cases run without it only.
const raceDetector = true
