// Package format is the contract between the unpacking engine and the
// per-format unpackers (squashfs, cpio, uimage, gzip, ...).
//
// An unpacker is found by a carving scan: the engine searches the image for
// every Signature of every registered Format in one multi-pattern pass, asks
// the Format to Identify each candidate (validate header and checksums), and
// then to Extract it into a Sink. The Sink owns all writing: it confines
// paths to the layer, enforces the limits and records problems, so an
// unpacker never touches the file system itself.
package format

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"time"
)

// Signature is a magic byte string that marks a candidate. Offset is where
// the magic sits relative to the start of the format (e.g. 0x438 for the
// ext superblock magic, 257 for the tar "ustar" magic).
type Signature struct {
	Magic  []byte
	Offset int64
}

// Match describes a validated candidate.
type Match struct {
	// Size is the number of bytes of the container that the format spans,
	// when known from its header; 0 means "unknown, up to the end".
	Size int64
	// Description is a short human summary, e.g.
	// "squashfs 4.0 little endian, gzip, 770 inodes".
	Description string
	// Extractable is false for formats that are identified but that this
	// build cannot unpack (the layer is listed as identified-only).
	Extractable bool
	// Held, when set, is what Identify decoded of the candidate, offered
	// to its extraction so a stream is not decoded twice (HeldExtractor).
	// A caller that does not extract the candidate may drop it.
	Held Held
}

// Held is the output an Identify call decoded (and possibly its live
// decoder), kept for the candidate's extraction.
type Held interface {
	// Cost is the memory it holds, in bytes.
	Cost() int64
}

// HeldExtractor is a Format whose Identify may hand over what it decoded:
// ExtractHeld extracts the candidate as Extract does, byte for byte, from
// h (a Match.Held of the same candidate, used at most once) instead of
// decoding it again.
type HeldExtractor interface {
	ExtractHeld(ctx context.Context, r io.ReaderAt, size int64, h Held, sink Sink) error
}

// Kind says what a format's output is, which decides how the engine looks
// for formats inside it.
type Kind int

const (
	// FileSystem: a file system image. Its files are recognised when a
	// whole file is of a format (or an opaque blob is carved).
	FileSystem Kind = iota
	// Archive: an archive of files, looked into like a file system.
	Archive
	// Container: partitions or images of a boot or flash container,
	// carved at every offset.
	Container
	// Stream: one decoded stream, carved at every offset.
	Stream
	// Encoding: binary data in a text encoding (Intel HEX, S-records),
	// decoded to a stream carved at every offset.
	Encoding
)

// Tree says whether the kind yields a file tree rather than blobs.
func (k Kind) Tree() bool { return k == FileSystem || k == Archive }

// Format is one unpacker.
type Format interface {
	// Name is a stable lower-case identifier ("squashfs", "gzip", "uimage").
	Name() string
	// Kind says whether the format is a file system, an archive, a
	// container, a stream or a text encoding.
	Kind() Kind
	// Signatures lists the magics that make a carving candidate.
	Signatures() []Signature
	// Identify validates a candidate that starts at offset 0 of r (a view
	// from the candidate start to the end of the container, size bytes).
	// It must be cheap and must not trust any length field without bounds
	// checks. It returns ErrNotMatch (possibly wrapped) when the bytes are not
	// this format.
	Identify(r io.ReaderAt, size int64) (Match, error)
	// Extract unpacks the candidate into sink. It stops at the first error
	// returned by the sink (a limit was hit) and returns it. Damaged parts
	// that can be skipped are reported with sink.Problem and extraction
	// continues with the rest.
	Extract(ctx context.Context, r io.ReaderAt, size int64, sink Sink) error
}

// ErrNotMatch means "these bytes are not this format".
var ErrNotMatch = errors.New("not this format")

// Entry is one item an unpacker yields. Path is slash-separated and relative
// to the layer root; the Sink cleans it and rejects escapes.
type Entry struct {
	Path    string
	Mode    fs.FileMode // type bits (fs.ModeDir, fs.ModeSymlink, fs.ModeDevice, ...) + permissions incl. setuid
	UID     int
	GID     int
	ModTime time.Time
	// Linkname is the target of a symlink, or, with Hardlink, the layer path
	// of the file this entry is a hard link to.
	Linkname string
	Hardlink bool
	// Size of a regular file when known in advance (informational).
	Size int64
	// DevMajor and DevMinor are a device node's numbers, for the formats
	// that store them.
	DevMajor, DevMinor uint32
	// Incomplete, when set, says why the content yielded is not the whole
	// file (a bad block, an encrypted or unsupported part): the file is
	// listed with what could be read. The Sink also sets it when the
	// content reader fails.
	Incomplete string
}

// Sink receives entries. Implementations must be safe for use from one
// goroutine at a time; an unpacker that decompresses in parallel serialises
// its calls.
type Sink interface {
	// Add records an entry. For regular files r yields the content; for all
	// other types r is nil. An error means a limit was hit or the work
	// directory failed: the unpacker must stop and return it. A Sink reads
	// r only during Add and keeps no reference to it, so an unpacker may
	// hand it a reader over a buffer it reuses for the next entry (the
	// squashfs blocks do).
	Add(e Entry, r io.Reader) error
	// Problem records a non-fatal defect at path (a bad block, a CRC
	// mismatch, an unsupported feature) and the unpacker carries on.
	Problem(path string, err error)
}

// Unsupported returns an error saying that a variant is recognised but not
// supported, for use with Sink.Problem or as Extract's result.
func Unsupported(what string) error { return &UnsupportedError{What: what} }

// UnsupportedError marks a recognised but unsupported variant.
type UnsupportedError struct{ What string }

func (e *UnsupportedError) Error() string { return "unsupported: " + e.What }

// NotMatch returns an error wrapping ErrNotMatch with a reason. It costs
// one small allocation and no formatting: a flood of magics makes
// millions of rejections.
func NotMatch(why string) error { return &notMatchError{why} }

type notMatchError struct{ why string }

func (e *notMatchError) Error() string { return ErrNotMatch.Error() + ": " + e.why }
func (e *notMatchError) Unwrap() error { return ErrNotMatch }
