//go:build race

package privdata_test

// raceDetector: the corpus scan is slow under the race detector and is
// left to the plain run.
const raceDetector = true
