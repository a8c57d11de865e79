//go:build !race

package accounts

const raceDetector = false
