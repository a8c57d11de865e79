package secrets

import "sort"

// MinString is the shortest printable run taken from a binary.
const MinString = 6

// segment maps a position in a strings buffer back to a file offset.
type segment struct{ buf, file int }

// Strings collects the printable ASCII runs (tab included) of at least
// MinString bytes of a binary, one per line, into buf, with the map back
// to file offsets. A string table, a C literal and a JSON blob inside an
// ELF all become lines the rules can read.
func Strings(data, buf []byte) ([]byte, []segment) {
	buf = buf[:0]
	var segs []segment
	start := -1
	for i := 0; i <= len(data); i++ {
		printable := i < len(data) && (data[i] >= 0x20 && data[i] < 0x7f || data[i] == '\t')
		if printable {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= MinString {
			segs = append(segs, segment{len(buf), start})
			buf = append(buf, data[start:i]...)
			buf = append(buf, '\n')
		}
		start = -1
	}
	return buf, segs
}

// fileOffset maps a strings-buffer position to the file offset.
func fileOffset(segs []segment, pos int) int64 {
	i := sort.Search(len(segs), func(i int) bool { return segs[i].buf > pos }) - 1
	if i < 0 {
		return 0
	}
	return int64(segs[i].file + pos - segs[i].buf)
}
