//go:build !race

package formattest

// Race is true when the tests run under the race detector.
const Race = false
