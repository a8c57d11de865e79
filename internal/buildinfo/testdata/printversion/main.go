// Command printversion prints the build version (a test of -ldflags -X).
package main

import "github.com/thingsec/thingsec/internal/buildinfo"

func main() { print(buildinfo.Version()) }
