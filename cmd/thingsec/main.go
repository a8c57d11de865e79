// Command thingsec finds security problems in connected-device firmware,
// source trees and SBOMs. See README.md.
package main

import (
	"os"

	"github.com/thingsec/thingsec/internal/cli"
	"github.com/thingsec/thingsec/internal/supervise"
	// supervises the program before the other packages' initialisers run
	_ "github.com/thingsec/thingsec/internal/supervise/boot"
)

func main() {
	supervise.Exit(cli.Run(os.Args))
}
