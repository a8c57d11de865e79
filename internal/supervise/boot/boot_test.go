package boot

import "testing"

func TestTestBinary(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"/tmp/go-build1/b001/thingsec.test", "-test.paniconexit0"}, true},
		{[]string{"./thingsec.test"}, true},
		{[]string{"/tmp/x/main", "-test.run=TestX"}, true},
		{[]string{"thingsec", "scan", "fw.bin"}, false},
		{[]string{"thingsec", "scan", "-test"}, false},
		{[]string{"/usr/bin/thingsec"}, false},
		{nil, false},
	} {
		if got := testBinary(c.args); got != c.want {
			t.Errorf("testBinary(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}
