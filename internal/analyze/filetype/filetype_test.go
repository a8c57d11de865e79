package filetype

import (
	"os"
	"testing"
)

func TestDetect(t *testing.T) {
	exe, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	ext := make([]byte, 0x500)
	ext[0x438], ext[0x439] = 0x53, 0xef
	tar := make([]byte, 512)
	copy(tar[257:], "ustar")
	tests := []struct {
		name string
		head []byte
		typ  string
		sub  string
	}{
		{"/bin/x", exe[:HeadSize], ELF, "exec"},
		{"/etc/init.d/rcS", []byte("#!/bin/sh\nexit 0\n"), Script, "sh"},
		{"/usr/bin/x", []byte("#!/usr/bin/env lua\n"), Script, "lua"},
		{"/www/cgi-bin/a.lua", []byte("local x = 1\n"), Script, "lua"},
		{"/etc/passwd", []byte("root:x:0:0::/root:/bin/sh\n"), Text, ""},
		{"/etc/ssl/k.pem", []byte("-----BEGIN EC PRIVATE KEY-----\nMHc\n"), PEM, ""},
		{"/x.gz", []byte{0x1f, 0x8b, 8, 0}, Compressed, "gzip"},
		{"/x.sqfs", []byte("hsqs\x00\x00\x00\x00"), FSImage, "squashfs"},
		{"/x.img", ext, FSImage, "ext"},
		{"/x.tar", tar, Archive, "tar"},
		{"/fw.bin", []byte("HDR0\x00\x00\x00\x00"), Firmware, "trx"},
		{"/fw.bin", []byte{0x27, 0x05, 0x19, 0x56, 0}, Firmware, "uimage"},
		{"/db", []byte("SQLite format 3\x00...."), SQLite, "sqlite"},
		{"/blob", []byte{0x00, 0x01, 0x02, 0xff, 0xfe}, Data, ""},
		{"/latin", []byte("caf\xe9 au lait, na\xefve and more text here"), Data, ""},
		{"/utf8", []byte("café au lait\n"), Text, ""},
	}
	for _, tt := range tests {
		got := Detect(tt.name, tt.head, int64(len(tt.head)))
		if got.Type != tt.typ || got.Sub != tt.sub {
			t.Errorf("Detect(%s) = %+v, want %s/%s", tt.name, got, tt.typ, tt.sub)
		}
	}
	if got := Detect("/e", nil, 0); got.Type != Empty {
		t.Errorf("empty file: %+v", got)
	}
	if got := Detect("/bin/x", exe[:HeadSize], 1<<20); got.Arch != "x86_64-le-64" {
		t.Errorf("arch %q", got.Arch)
	}
}

func TestDER(t *testing.T) {
	der := append([]byte{0x30, 0x82, 0x01, 0x00}, make([]byte, 0x100)...)
	if got := Detect("/c.der", der, int64(len(der))); got.Type != DER {
		t.Errorf("DER: %+v", got)
	}
	if got := Detect("/c.der", der, int64(len(der))+10); got.Type == DER {
		t.Error("DER whose length does not match the file accepted")
	}
}
