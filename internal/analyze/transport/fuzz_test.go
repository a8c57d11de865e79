package transport

import (
	"strings"
	"testing"
)

// FuzzEndpoints: the endpoint parser takes any line without panicking,
// and every endpoint it returns is a cleartext scheme with a host that
// occurs in the line.
func FuzzEndpoints(f *testing.F) {
	for _, s := range []string{
		`var A = "http://cloud.example.net/api";`, "tcp://[::1]:1883", "mqtt://user:pw@broker.example.com:1883/x",
		"http://www.w3.org/2001/XMLSchema", "http://", "ftp://10.0.0.1/fw.bin", "http://%s/x", "ws://a.b.c:99999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, e := range endpoints(s) {
			if !strings.Contains(s, e.host) || e.host == "" {
				t.Fatalf("endpoint %+v not in %q", e, s)
			}
			switch e.scheme {
			case "http", "ftp", "mqtt", "ws", "telnet", "tftp", "tcp":
			default:
				t.Fatalf("scheme %q", e.scheme)
			}
		}
	})
}
