package format

import (
	"io/fs"
	"testing"
)

func TestUnixMode(t *testing.T) {
	for _, c := range []struct {
		in   uint32
		want fs.FileMode
	}{
		{0, 0},
		{0o100644, 0o644},
		{0o000755, 0o755},
		{0o040755, fs.ModeDir | 0o755},
		{0o120777, fs.ModeSymlink | 0o777},
		{0o020620, fs.ModeDevice | fs.ModeCharDevice | 0o620},
		{0o060660, fs.ModeDevice | 0o660},
		{0o010644, fs.ModeNamedPipe | 0o644},
		{0o140755, fs.ModeSocket | 0o755},
		{0o104755, fs.ModeSetuid | 0o755},
		{0o102755, fs.ModeSetgid | 0o755},
		{0o041777, fs.ModeDir | fs.ModeSticky | 0o777},
		{0o047777, fs.ModeDir | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky | 0o777},
		{0o170644, 0o644},              // unknown type: treated as a regular file
		{0o030644, 0o644},              // unknown type
		{0xffff0000 | 0o100600, 0o600}, // bits above st_mode are ignored
	} {
		if got := UnixMode(c.in); got != c.want {
			t.Errorf("UnixMode(%#o) = %v, want %v", c.in, got, c.want)
		}
	}
}
