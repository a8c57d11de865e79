package update

import (
	"context"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// FuzzScript: updater scripts, U-Boot environments (text and binary)
// and configurations of any content are read without panicking, and
// every finding has a line inside the file or none.
func FuzzScript(f *testing.F) {
	f.Add("/sbin/up.sh", []byte("#!/bin/sh\nU=http://x.example.net/f\nwget -O /tmp/f \"$U\"\nmd5sum /tmp/f\nmtd -r write /tmp/f firmware\n"))
	f.Add("/boot/uEnv.txt", []byte("bootdelay=3\nverify=n\nbootcmd=bootm\n"))
	f.Add("/boot/u-boot-env.bin", []byte("\x00\x00\x00\x00\x01bootcmd=bootm\x00bootdelay=1\x00\x00"))
	f.Add("/boot/config-6.1", []byte("# Linux/mips 6.1 Kernel Configuration\nCONFIG_MODULES=y\nCONFIG_BLOCK=y\n"))
	f.Add("/sbin/x.sh", []byte("mtd write \"$(\"\ntftp -g\n"))
	a := New()
	f.Fuzz(func(t *testing.T, p string, data []byte) {
		if len(data) > 1<<16 || !strings.HasPrefix(p, "/") {
			return
		}
		head := data[:min(len(data), filetype.HeadSize)]
		fi := plugin.FileInfo{Layer: "L1", Path: p, Size: int64(len(data)), Type: filetype.Detect(p, head, int64(len(data))), Head: head, Mode: 0o755}
		if !a.FileRequired(&fi) {
			return
		}
		res := &plugin.Results{}
		in := &plugin.Input{FileInfo: fi, Data: data, R: strings.NewReader(string(data)), Loc: model.Location{Layer: "L1", Path: p}}
		if err := a.Analyze(context.Background(), in, res); err != nil {
			t.Fatal(err)
		}
		n := strings.Count(string(data), "\n") + 1
		for _, f := range res.Findings {
			if f.Location.Line < 0 || f.Location.Line > n {
				t.Fatalf("line %d outside the file: %+v", f.Location.Line, f)
			}
		}
	})
}
