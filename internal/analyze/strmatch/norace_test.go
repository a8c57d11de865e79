//go:build !race

package strmatch

const raceOn = false
