// gentree writes a synthetic tree for benchmarks (see internal/benchtree).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/thingsec/thingsec/internal/benchtree"
)

func main() {
	dir := flag.String("dir", "", "output directory")
	files := flag.Int("files", 50000, "number of files")
	mb := flag.Int64("mb", 1024, "total size in MiB")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: gentree -dir DIR [-files N] [-mb M]")
		os.Exit(2)
	}
	if err := benchtree.Generate(*dir, *files, *mb<<20, 1); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
