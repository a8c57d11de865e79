//go:build !linux

package beneath

import "os"

// fastDir is empty where there is no openat2: every open uses os.Root.
type fastDir struct{}

func openFast(string) fastDir                { return fastDir{} }
func (fastDir) open(string) (*os.File, bool) { return nil, false }
func (fastDir) close()                       {}
