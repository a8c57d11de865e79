package unpack

import (
	"github.com/thingsec/thingsec/internal/unpack/ar"
	"github.com/thingsec/thingsec/internal/unpack/archive"
	"github.com/thingsec/thingsec/internal/unpack/compress"
	"github.com/thingsec/thingsec/internal/unpack/cpio"
	"github.com/thingsec/thingsec/internal/unpack/cramfs"
	"github.com/thingsec/thingsec/internal/unpack/extfs"
	"github.com/thingsec/thingsec/internal/unpack/fat"
	"github.com/thingsec/thingsec/internal/unpack/fit"
	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/hexfile"
	"github.com/thingsec/thingsec/internal/unpack/iso9660"
	"github.com/thingsec/thingsec/internal/unpack/jffs2"
	"github.com/thingsec/thingsec/internal/unpack/kernel"
	"github.com/thingsec/thingsec/internal/unpack/romfs"
	"github.com/thingsec/thingsec/internal/unpack/sparse"
	"github.com/thingsec/thingsec/internal/unpack/squashfs"
	"github.com/thingsec/thingsec/internal/unpack/trx"
	"github.com/thingsec/thingsec/internal/unpack/ubi"
	"github.com/thingsec/thingsec/internal/unpack/ubifs"
	"github.com/thingsec/thingsec/internal/unpack/uimage"
	"github.com/thingsec/thingsec/internal/unpack/yaffs2"
)

// Registry lists every unpacker, in the order candidates at the same
// offset are tried: containers first, then file systems and archives, then
// the compressed streams they may hold, and the format without a magic
// (yaffs2) last.
func Registry() []format.Format {
	return []format.Format{
		// boot and firmware containers
		trx.New(),
		uimage.New(),
		fit.New(),
		kernel.New(),
		// flash volumes and file systems
		squashfs.New(),
		ubi.New(),
		ubifs.New(),
		jffs2.New(),
		cramfs.New(),
		romfs.New(),
		sparse.New(),
		extfs.New(),
		fat.New(),
		iso9660.New(),
		// archives
		cpio.New(),
		archive.Tar(),
		archive.Zip(),
		archive.SevenZip(),
		ar.New(),
		// firmware text encodings
		hexfile.Intel(),
		hexfile.SRec(),
		// single compressed streams
		compress.Gzip(),
		compress.XZ(),
		compress.LZMA(),
		compress.Bzip2(),
		compress.Zstd(),
		compress.LZ4(),
		compress.Lzop(),
		compress.LZW(),
		compress.Zlib(),
		// no magic: validated by structure only
		yaffs2.New(),
	}
}
