package reporttest

import (
	"github.com/thingsec/thingsec/internal/model"
)

// Rich is a fixed report that exercises every field an encoder may write:
// a firmware image with nested layers (uImage, a squashfs root file system
// inside it, a JFFS2 partition), findings of every category (secret tokens
// with redacted evidence, default credentials, private keys, certificates,
// binary hardening raised above its rule's default, an info finding, a
// finding of a user rule pack outside the catalog, one on the image
// itself at an offset), vulnerabilities with several CVSS scores, KEV and
// EPSS, one without any score, components with CPEs, evidence and several
// locations, hardening records, problems and skipped content. Encoders'
// golden files are made from it, so a change here changes them all.
func Rich() *model.Report { return RichVEX() }
