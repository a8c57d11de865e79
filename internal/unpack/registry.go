package unpack

import (
	"github.com/thingsec/thingsec/internal/unpack/ar"
	"github.com/thingsec/thingsec/internal/unpack/cpio"
	"github.com/thingsec/thingsec/internal/unpack/cramfs"
	"github.com/thingsec/thingsec/internal/unpack/extfs"
	"github.com/thingsec/thingsec/internal/unpack/fat"
	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/iso9660"
	"github.com/thingsec/thingsec/internal/unpack/jffs2"
	"github.com/thingsec/thingsec/internal/unpack/romfs"
	"github.com/thingsec/thingsec/internal/unpack/sparse"
	"github.com/thingsec/thingsec/internal/unpack/squashfs"
	"github.com/thingsec/thingsec/internal/unpack/ubi"
	"github.com/thingsec/thingsec/internal/unpack/ubifs"
	"github.com/thingsec/thingsec/internal/unpack/yaffs2"
)

// Registry lists every unpacker, in the order candidates at the same
// offset are tried: containers and file systems before the streams they
// may contain, formats without a magic (yaffs2) last.
func Registry() []format.Format {
	return []format.Format{
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
		ar.New(),
		// no magic: validated by structure only
		yaffs2.New(),
	}
}
