package lzmadec

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// TestHostileHeaders: malformed headers and LZMA2 control sequences are
// errors, never a panic or output.
func TestHostileHeaders(t *testing.T) {
	alone := []struct {
		name string
		in   []byte
	}{
		{"props out of range", []byte{225, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0}},
		{"negative size", []byte{0x5d, 0, 0, 1, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0}},
		{"short header", []byte{0x5d, 0, 0, 1}},
		{"range coder start byte", []byte{0x5d, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0}},
		{"no data", []byte{0x5d, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"4 GiB dictionary, garbage", append([]byte{0x5d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0}, bytes.Repeat([]byte{0xa5}, 100)...)},
	}
	for _, tt := range alone {
		r, err := NewAloneReader(bytes.NewReader(tt.in), 1<<20)
		if err == nil {
			_, err = io.ReadAll(io.LimitReader(r, 1<<20))
		}
		if err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	lzma2 := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"no dictionary reset", []byte{0x02, 0x00, 0x00, 'a', 0x00}},
		{"bad control byte", []byte{0x03}},
		{"LZMA chunk without properties", []byte{0x01, 0x00, 0x00, 'a', 0x80, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 0, 0}},
		{"properties out of range", []byte{0xe0, 0x00, 0x00, 0x00, 0x04, 0xff, 0, 0, 0, 0, 0}},
		{"lc+lp above 4", []byte{0xe0, 0x00, 0x00, 0x00, 0x04, 0x5e, 0, 0, 0, 0, 0}},
		{"truncated uncompressed chunk", []byte{0x01, 0x00, 0x10, 'a'}},
		{"no end byte", []byte{0x01, 0x00, 0x00, 'a'}},
	}
	for _, tt := range lzma2 {
		if _, err := io.ReadAll(NewReader2(bytes.NewReader(tt.in), 1<<16)); err == nil {
			t.Errorf("LZMA2 %s: no error", tt.name)
		}
	}
	// The smallest valid LZMA2 data: one uncompressed byte.
	got, err := io.ReadAll(NewReader2(bytes.NewReader([]byte{0x01, 0x00, 0x00, 'a', 0x00}), 1<<16))
	if err != nil || string(got) != "a" {
		t.Fatalf("uncompressed chunk: %q, %v", got, err)
	}
	var d Decoder
	if _, err := d.DecodeBlock(make([]byte, 10), []byte{0, 1, 2, 3, 4}, 225, -1); !errors.Is(err, ErrProps) {
		t.Errorf("DecodeBlock with bad properties: %v", err)
	}
	if _, err := d.DecodeBlock(make([]byte, 10), []byte{0, 1, 2, 3, 4}, 0x5d, 11); err == nil {
		t.Error("DecodeBlock with a size beyond the buffer: no error")
	}
}
