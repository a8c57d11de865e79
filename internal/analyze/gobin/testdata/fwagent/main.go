// fwagent is a small program that links three modules, built stripped
// for many architectures by the tests to prove that its modules and Go
// version are found without build info.
package main

import (
	"bytes"
	"os"

	"github.com/BurntSushi/toml"
	"github.com/anchore/go-lzo"
	"github.com/ulikunitz/xz"
)

func main() {
	var conf struct{ Name string }
	if _, err := toml.Decode(os.Args[0], &conf); err != nil {
		os.Exit(1)
	}
	r, err := xz.NewReader(bytes.NewReader([]byte(conf.Name)))
	if err != nil {
		os.Exit(2)
	}
	if _, err := lzo.NewReader(r).Read(make([]byte, 64)); err != nil {
		os.Exit(3)
	}
}
