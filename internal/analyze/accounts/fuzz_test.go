package accounts

import "testing"

func FuzzParse(f *testing.F) {
	f.Add("root:$1$abc$def:0:0::/root:/bin/sh\n/cgi-bin:admin:pw\nconfig login\n\toption username 'a'\n\toption password 'b'\n")
	f.Add("admin:1000:AAD3B435B51404EEAAD3B435B51404EE:209C6174DA490CAEB422F3FA5A7AE634:[U ]:LCT-0:\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range []Kind{KindPasswd, KindShadow, KindGroup, KindHtpasswd, KindLighttpd, KindBusybox, KindMosquitto, KindUCI, KindSmb, KindGeneric} {
			for _, e := range Parse(k, []byte(s)) {
				Identify(e.Hash, k == KindMosquitto)
			}
		}
	})
}

func FuzzVerify(f *testing.F) {
	for _, h := range []string{"ab01FAX.bQRSU", "$1$salt$hash", "$5$rounds=1000$s$h", "$6$s$h", "$7$101$c2FsdA==$aGFzaA==", "$6$c2FsdA==$aGFzaA==", "$2b$04$" + "abcdefghijklmnopqrstuv" + "0123456789012345678901234567890", "{SHA}x", "$3$$00112233445566778899aabbccddeeff"} {
		f.Add(h, "admin")
	}
	f.Fuzz(func(t *testing.T, h, pw string) {
		if len(pw) > 64 || len(h) > 200 {
			return
		}
		if Identify(h, false) == SchemeMosq7 {
			return // PBKDF2 iteration counts make the fuzzer slow, not wrong
		}
		Verify(h, pw, false)
	})
}
