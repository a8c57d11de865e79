package iso9660

import (
	"encoding/binary"
	"strings"
	"time"
	"unicode/utf16"
)

const (
	flagDir         = 0x02
	flagMultiExtent = 0x80
)

// record is a decoded directory record.
type record struct {
	extent     int64
	size       int64
	extAttrLen int64
	flags      byte
	name       []byte
	su         []byte // system use area (SUSP / Rock Ridge)
	mtime      time.Time
}

// parseRecord decodes the record at the start of b, or returns ok=false.
func parseRecord(b []byte) (rec record, n int, ok bool) {
	if len(b) < 34 || int(b[0]) < 34 || int(b[0]) > len(b) {
		return rec, 0, false
	}
	n = int(b[0])
	nameLen := int(b[32])
	if 33+nameLen > n {
		return rec, 0, false
	}
	le := binary.LittleEndian
	rec = record{
		extAttrLen: int64(b[1]),
		extent:     int64(le.Uint32(b[2:])),
		size:       int64(le.Uint32(b[10:])),
		flags:      b[25],
		name:       b[33 : 33+nameLen],
		mtime:      recTime(b[18:25]),
	}
	su := 33 + nameLen
	if nameLen%2 == 0 {
		su++ // padding byte
	}
	if su < n {
		rec.su = b[su:n]
	}
	return rec, n, true
}

// recTime decodes the 7-byte directory record date.
func recTime(b []byte) time.Time {
	if b[0] == 0 && b[1] == 0 {
		return time.Time{}
	}
	if b[1] < 1 || b[1] > 12 || b[2] < 1 || b[2] > 31 || b[3] > 23 || b[4] > 59 || b[5] > 60 {
		return time.Time{}
	}
	zone := time.FixedZone("", int(int8(b[6]))*15*60)
	return time.Date(1900+int(b[0]), time.Month(b[1]), int(b[2]), int(b[3]), int(b[4]), int(b[5]), 0, zone).UTC()
}

// longTime decodes the 17-byte volume descriptor date format (Rock Ridge
// TF long form).
func longTime(b []byte) time.Time {
	var v [7]int
	for i := range v {
		n := 0
		w := 2
		if i == 0 {
			w = 4
		}
		for _, c := range b[:w] {
			if c < '0' || c > '9' {
				return time.Time{}
			}
			n = n*10 + int(c-'0')
		}
		b = b[w:]
		v[i] = n
	}
	if v[1] < 1 || v[1] > 12 || v[2] < 1 {
		return time.Time{}
	}
	zone := time.FixedZone("", int(int8(b[0]))*15*60)
	return time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], v[6]*1e7, zone).UTC()
}

// isoName turns a plain ISO 9660 identifier into a file name: the ";1"
// version and a trailing dot (of a name without extension) are dropped.
func isoName(b []byte) string {
	s := string(b)
	if i := strings.LastIndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, ".")
}

// jolietName decodes a UCS-2 big-endian Joliet identifier.
func jolietName(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	return isoName([]byte(string(utf16.Decode(u))))
}
