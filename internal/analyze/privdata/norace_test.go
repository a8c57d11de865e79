//go:build !race

package privdata_test

const raceDetector = false
