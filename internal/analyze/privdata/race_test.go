//go:build race

package privdata_test

// raceDetector: the corpus scan is slow under the race detector; it
// then scans one image only.
const raceDetector = true
