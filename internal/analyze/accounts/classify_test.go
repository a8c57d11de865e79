package accounts

import "testing"

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		path string
		want Kind
	}{
		{"/etc/passwd", KindPasswd},
		{"/etc/shadow", KindShadow},
		{"/etc/mosquitto/passwd", KindMosquitto},
		{"/usr/share/lintian/overrides/passwd", KindNone},
		{"/usr/share/lintian/overrides/login", KindNone},
	} {
		if got := Classify(c.path); got != c.want {
			t.Errorf("Classify(%s) = %q, want %q", c.path, got, c.want)
		}
	}
}
