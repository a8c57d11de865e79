package filetype

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
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
		// a bare magic is not enough: the unpacker's Identify decides
		{"/x.gz", []byte{0x1f, 0x8b, 8, 0}, Data, ""},
		{"/x.img", ext, Data, ""},
		{"/x.tar", tar, Data, ""},
		{"/fw.bin", []byte{0x27, 0x05, 0x19, 0x56, 0}, Data, ""},
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

// TestDetectFromRegistry classifies real files made by real tools (the
// unpackers' fixtures) through the unpack registry's signatures.
func TestDetectFromRegistry(t *testing.T) {
	for _, tt := range []struct {
		file, typ, sub string
	}{
		{"squashfs/testdata/xz.sqfs", FSImage, "squashfs"},
		{"extfs/testdata/ext4.img.xz", FSImage, "extfs"},
		{"fat/testdata/fat16.img.xz", FSImage, "fat"},
		{"cramfs/testdata/be.cramfs", FSImage, "cramfs"},
		{"romfs/testdata/tree.romfs", FSImage, "romfs"},
		{"jffs2/testdata/le-zlib.jffs2", FSImage, "jffs2"},
		{"archive/testdata/gnu.tar", Archive, "tar"},
		{"archive/testdata/test.zip", Archive, "zip"},
		{"archive/testdata/test.7z", Archive, "7z"},
		{"cpio/testdata/newc.cpio", Archive, "cpio"},
		{"ar/testdata/gnu.a", Archive, "ar"},
		{"uimage/testdata/kernel-gzip.uimg", Firmware, "uimage"},
		{"fit/testdata/board.dtb", Firmware, "fit"},
		{"ubi/testdata/small.ubi", Firmware, "ubi"},
		{"compress/testdata/hello.txt.gz", Compressed, "gzip"},
		{"compress/testdata/hello.txt.xz", Compressed, "xz"},
		{"compress/testdata/hello.txt.zst", Compressed, "zstd"},
		{"compress/testdata/hello.txt.bz2", Compressed, "bzip2"},
		// text encodings of firmware stay text
		{"hexfile/testdata/plain.hex", Text, ""},
		{"hexfile/testdata/plain.srec", Text, ""},
	} {
		data, err := os.ReadFile(filepath.Join("..", "..", "unpack", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(tt.file, ".img.xz") {
			data = formattest.ReadXZ(t, filepath.Join("..", "..", "unpack", tt.file))
		}
		got := Detect(tt.file, data[:min(len(data), HeadSize)], int64(len(data)))
		if got.Type != tt.typ || got.Sub != tt.sub {
			t.Errorf("%s: %+v, want %s/%s", tt.file, got, tt.typ, tt.sub)
		}
	}
}
