package format

import "io/fs"

// UnixMode converts a Unix st_mode (S_IFMT type bits, setuid, setgid,
// sticky and permission bits) to an fs.FileMode. A type that is not one of
// directory, symlink, character device, block device, fifo or socket
// (including a regular file and an unset type) yields a regular file mode.
func UnixMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & 0o170000 {
	case 0o040000:
		mode |= fs.ModeDir
	case 0o120000:
		mode |= fs.ModeSymlink
	case 0o020000:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case 0o060000:
		mode |= fs.ModeDevice
	case 0o010000:
		mode |= fs.ModeNamedPipe
	case 0o140000:
		mode |= fs.ModeSocket
	}
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// LinuxDev splits a device number in the Linux encoding that file
// systems store (new_encode_dev: minor bits 0-7 and 20-31, major bits
// 8-19); the old 16-bit encoding (major<<8 | minor) decodes the same.
func LinuxDev(dev uint32) (major, minor uint32) {
	return (dev & 0xfff00) >> 8, (dev & 0xff) | (dev>>12)&0xfff00
}
