// Command thingsec finds security problems in connected-device firmware,
// source trees and SBOMs. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/thingsec/thingsec/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
