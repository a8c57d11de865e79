package privdata

import "testing"

func TestValues(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    func(string) bool
		yes  []string
		no   []string
	}{
		{"email", isEmail,
			[]string{"ann@example.com", "a.b+tag@mail.example.co.uk", "x_y@sub-domain.example.org"},
			[]string{"icon@2x.png", "root@localhost", "user@10.0.0.1", "a..b@example.com", "ann@example.com trailing", "@example.com", "pkg@1.2.3"}},
		{"international phone", func(s string) bool { return isPhone(s, false) },
			[]string{"+1-555-0187", "+44 20 7946 0958", "+49 (151) 2345-6789", "0049 151 23456789", "+81 3-1234-5678"},
			[]string{"+1234", "+0 555 0100", "+999999999999999999", "+1--555-0100", "555-0100", "192.168.1.1", "2025-03-10", "+1 (555 0100", "+83 123 456 789"}},
		{"national phone in a phone column", func(s string) bool { return isPhone(s, true) },
			[]string{"(555) 010-4477", "030 1234567", "0151/23456789"},
			[]string{"1.2.3.4", "2025-03-10", "0000000", "12345", "v1.2.3"}},
		{"date", isDate,
			[]string{"1984-05-17", "17.05.1984", "05/17/1984", "2001-01-01T00:00:00Z"},
			[]string{"1984-13-01", "17.05.84", "yesterday", "1850-01-01"}},
		{"lat,lon", isLatLon,
			[]string{"48.85837,2.29448", "-33.8688 151.2093", "40.7128;-74.0060"},
			[]string{"48.8,2.2", "91.00001,2.00001", "48.85837", "1.0.0.1,2.3"}},
		{"name", isName,
			[]string{"Ann Smith", "Zoë Ångström", "O'Brien", "Jean-Luc Picard"},
			[]string{"a", "admin123", "user@example.com", "one two three four five six"}},
		{"hash", isHash,
			[]string{"5f4dcc3b5aa765d61d8327deb882cf99", "$6$salt$abc", "$2b$12$abcdefghijklmnopqrstuv", "{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "pbkdf2_sha256$260000$x$y"},
			[]string{"Gw-2025-admin", "password1", "hunter2hunter2hunter2hunter2"}},
	} {
		for _, v := range tt.yes {
			if !tt.f(v) {
				t.Errorf("%s: %q not recognised", tt.name, v)
			}
		}
		for _, v := range tt.no {
			if tt.f(v) {
				t.Errorf("%s: %q recognised", tt.name, v)
			}
		}
	}
}

func TestFields(t *testing.T) {
	for _, tt := range []struct {
		name string
		want fieldKind
	}{
		{"Phone_Number", fieldKind{phone: true}},
		{"$.users[].contact.mobile", fieldKind{phone: true}},
		{"date_of_birth", fieldKind{birth: true}},
		{"gps_lat", fieldKind{lat: true}},
		{"longitude", fieldKind{lon: true}},
		{"display_name", fieldKind{name: true, user: true}},
		{"password_md5", fieldKind{hashed: true}},
		{"admin_password", fieldKind{password: true}},
		{"pin", fieldKind{pin: true}},
		{"sha256", fieldKind{}},
		{"hostname", fieldKind{}},
		{"username", fieldKind{user: true}},
	} {
		if got := classifyField(tt.name); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
