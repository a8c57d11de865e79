package cpe

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		vendor  string
		product string
		version string
		update  string
		err     bool
	}{
		{"cpe:2.3:a:thekelleys:dnsmasq:2.85:*:*:*:*:*:*:*", "thekelleys", "dnsmasq", "2.85", "*", false},
		{"cpe:2.3:a:openbsd:openssh:8.5:p1:*:*:*:*:*:*", "openbsd", "openssh", "8.5", "p1", false},
		{`cpe:2.3:a:beyondtrust:privilege_management_for_unix\/linux:*:*:*:*:basic:*:*:*`, "beyondtrust", "privilege_management_for_unix/linux", "*", "*", false},
		{`cpe:2.3:h:netapp:solidfire\,_enterprise_sds_\&_hci_storage_node:-:*:*:*:*:*:*:*`, "netapp", "solidfire,_enterprise_sds_&_hci_storage_node", "-", "*", false},
		{`cpe:2.3:o:wago:pfc200_firmware:03.04.10\(16\):*:*:*:*:*:*:*`, "wago", "pfc200_firmware", "03.04.10(16)", "*", false},
		{"cpe:2.3:a:BusyBox:BusyBox:1.36.1", "busybox", "busybox", "1.36.1", "*", false},
		{"cpe:/a:busybox:busybox:1.36.1", "", "", "", "", true},
		{"cpe:2.3:a:*:dnsmasq:2.85", "", "", "", "", true},
		{"cpe:2.3:a:a:b:c:d:e:f:g:h:i:j:k:l", "", "", "", "", true},
	}
	for _, tt := range tests {
		n, err := Parse(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("Parse(%q) err = %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if tt.err {
			continue
		}
		if n[Vendor] != tt.vendor || n[Product] != tt.product || n[Version] != tt.version || n[Update] != tt.update {
			t.Errorf("Parse(%q) = %q", tt.in, n)
		}
		back, err := Parse(n.String())
		if err != nil || back != n {
			t.Errorf("round trip of %q: %q, %v", tt.in, back, err)
		}
	}
}

func TestAttrMatches(t *testing.T) {
	tests := []struct {
		crit, target string
		want         bool
	}{
		{"*", "2.85", true}, {"*", "-", true}, {"-", "-", true}, {"-", "2.85", false},
		{"2.85", "2.85", true}, {"2.85", "2.86", false}, {"node.js", "*", true}, {"node.js", "python", false},
	}
	for _, tt := range tests {
		if got := AttrMatches(tt.crit, tt.target); got != tt.want {
			t.Errorf("AttrMatches(%q, %q) = %v, want %v", tt.crit, tt.target, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`cpe:2.3:h:netapp:solidfire\,_enterprise_sds_\&_hci_storage_node:-:*:*:*:*:*:*:*`)
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			return
		}
		if _, err := Parse(n.String()); err != nil {
			t.Fatalf("String() of parsed %q does not parse: %v", s, err)
		}
	})
}
