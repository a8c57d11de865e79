package crypto

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"path"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// scanRef is Scan as it was before the single-pass search (the
// reference the differential tests and benchmarks compare with): each
// literal searched on its own, and every 0x30 byte of a binary a
// candidate DER start.
func scanRef(p string, data []byte, ft filetype.Result) []Item {
	var items []Item
	if isAuthorizedKeys(p) {
		return authorizedKeys(data)
	}
	binary := ft.Type != filetype.Text && ft.Type != filetype.Script && ft.Type != filetype.PEM
	if binary && (strings.HasPrefix(path.Base(p), "dropbear") || bytes.HasPrefix(data, []byte{0, 0, 0})) {
		if it, ok := parseDropbear(data); ok {
			return []Item{it}
		}
	}
	if binary && isPKCS12(data) {
		if it, ok := parsePKCS12(data); ok {
			return []Item{it}
		}
	}
	if binary && (ft.Type == filetype.DER || derLenRef(data) == len(data)) {
		if it, ok := parseDER(data); ok {
			return []Item{it}
		}
	}
	armor := bytes.Index(data, []byte("-----BEGIN "))
	if armor < 0 {
		armor = len(data)
	}
	if i := bytes.Index(data[armor:], []byte("-----BEGIN PGP PRIVATE KEY BLOCK-----")); i >= 0 {
		i += armor
		items = append(items, Item{Kind: "pgp", Format: "OpenPGP armored", KeyType: "OpenPGP", Offset: int64(i),
			Line: bytes.Count(data[:i], []byte{'\n'}) + 1, Raw: data[i:min(len(data), i+400)]})
	}
	for off := armor; ; {
		i := bytes.Index(data[off:], []byte("-----BEGIN "))
		if i < 0 {
			break
		}
		start := off + i
		blk, rest := pem.Decode(data[start:])
		if blk == nil {
			off = start + 11
			continue
		}
		end := len(data) - len(rest)
		if it, ok := parsePEM(blk, data[start:end], nil); ok {
			it.Offset = int64(start)
			it.Line = bytes.Count(data[:start], []byte{'\n'}) + 1
			items = append(items, it)
		}
		off = end
	}
	if i := bytes.Index(data, []byte("PuTTY-User-Key-File-")); i >= 0 {
		it := Item{Kind: "key", Format: "PuTTY", KeyType: "unknown", Offset: int64(i), Raw: data[i:min(len(data), i+200)]}
		it.Line = bytes.Count(data[:i], []byte{'\n'}) + 1
		it.Encrypted = !bytes.Contains(data, []byte("Encryption: none"))
		items = append(items, it)
	}
	if binary && ft.Type != filetype.DER {
		items = carveDERRef(data, items)
	}
	return items
}

func derLenRef(b []byte) int {
	if len(b) < 2 || b[0] != 0x30 {
		return 0
	}
	switch l := b[1]; {
	case l < 0x80:
		return int(l) + 2
	case l == 0x81 && len(b) >= 3:
		return int(b[2]) + 3
	case l == 0x82 && len(b) >= 4:
		return int(binary.BigEndian.Uint16(b[2:4])) + 4
	case l == 0x83 && len(b) >= 5:
		return int(b[2])<<16 | int(b[3])<<8 | int(b[4]) + 5
	}
	return 0
}

var derStartsRef = [][]byte{
	{0x30, 0x82},
	{0x02, 0x01, 0x00, 0x02},
	{0x02, 0x01, 0x00, 0x30},
	{0x02, 0x01, 0x01, 0x04},
}

// carveDERRef stops at every 0x30 byte.
func carveDERRef(data []byte, items []Item) []Item {
	for off := 0; off < len(data)-8; {
		i := bytes.IndexByte(data[off:], 0x30)
		if i < 0 {
			break
		}
		p := off + i
		off = p + 1
		n, ok := derCandidateRef(data, p)
		if !ok {
			continue
		}
		if it, ok := parseDER(data[p : p+n]); ok {
			it.Offset = int64(p)
			items = append(items, it)
			off = p + n
		}
	}
	return items
}

// marksRef lists what search should find the reference's way: every
// "-----BEGIN " by bytes.Index, the first PuTTY header, and every
// position the reference's carving loop would try to parse were no
// structure found before it.
func marksRef(data []byte, carve bool) marks {
	m := marks{putty: bytes.Index(data, []byte(puttyBegin))}
	for off := 0; ; {
		i := bytes.Index(data[off:], []byte(pemBegin))
		if i < 0 {
			break
		}
		m.begins = append(m.begins, off+i)
		off += i + 1
	}
	for off := 0; carve && off < len(data)-8; {
		i := bytes.IndexByte(data[off:], 0x30)
		if i < 0 {
			break
		}
		p := off + i
		off = p + 1
		if _, ok := derCandidateRef(data, p); ok {
			m.ders = append(m.ders, p)
		}
	}
	return m
}

// derCandidateRef says whether the reference tries to parse the 0x30
// byte at p: a SEQUENCE of n bytes, at least 64, within data, whose body
// starts as a key's does.
func derCandidateRef(data []byte, p int) (n int, ok bool) {
	n = derLenRef(data[p:])
	if n < 64 || p+n > len(data) {
		return 0, false
	}
	hdr := 2
	if data[p+1] >= 0x80 {
		hdr += int(data[p+1] & 0x7f)
	}
	for _, s := range derStartsRef {
		if bytes.HasPrefix(data[p+hdr:], s) {
			return n, true
		}
	}
	return 0, false
}

// analyzeTreeRef is AnalyzeTree as it was before certificates were
// filtered by the keys found: every certificate file scanned whole.
func analyzeTreeRef(a *Analyzer, ctx context.Context, t plugin.Tree, rep *model.Report, out *plugin.Results) error {
	type where struct{ layer, path string }
	keyFiles := map[where]model.Location{}
	var order []where // the key files in the order of their findings: the report must not depend on map order
	for _, f := range rep.Findings {
		switch f.RuleID {
		case RulePrivateKey, RuleSSHHostKey, RuleEncryptedKey, RulePKCS12Open:
			w := where{f.Location.Layer, f.Location.Path}
			if _, seen := keyFiles[w]; !seen {
				order = append(order, w)
			}
			keyFiles[w] = f.Location
		}
	}
	if len(keyFiles) == 0 {
		return nil
	}
	type certAt struct {
		it   Item
		path string
	}
	var certFiles []model.File
	for _, f := range t.Files() {
		ext := strings.ToLower(path.Ext(f.Path))
		if f.Type != filetype.PEM && f.Type != filetype.DER && ext != ".crt" && ext != ".pem" && ext != ".cer" && ext != ".der" {
			continue
		}
		if f.Size == 0 {
			continue
		}
		if f.Size > 4<<20 {
			out.Skipped = append(out.Skipped, model.Skip{Analyzer: a.Name(), Layer: f.Layer, Path: f.Path, Size: f.Size, Reason: fmt.Sprintf("%d bytes: certificate file over the 4194304-byte size limit of the key pairing", f.Size)})
			continue
		}
		certFiles = append(certFiles, f)
	}
	// The certificate files and the key files are read and scanned in
	// parallel (a key file may be a large binary, scanned again whole);
	// the results are used in their order.
	certItems := make([][]Item, len(certFiles))
	keyItems := make([][]Item, len(order))
	inParallel(len(certFiles)+len(order), func(i int) {
		if ctx.Err() != nil {
			return
		}
		if i < len(certFiles) {
			f := certFiles[i]
			data, err := t.ReadFile(f.Layer, f.Path, 4<<20)
			if err != nil {
				return
			}
			certItems[i] = scanRef(f.Path, data, filetype.Detect(f.Path, data[:min(len(data), filetype.HeadSize)], int64(len(data))))
			return
		}
		w := order[i-len(certFiles)]
		data, err := t.ReadFile(w.layer, w.path, a.opt.MaxSize)
		if err != nil {
			return
		}
		keyItems[i-len(certFiles)] = scanRef(w.path, data, filetype.Detect(w.path, data[:min(len(data), filetype.HeadSize)], int64(len(data))))
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	certs := map[string][]certAt{}
	for i, f := range certFiles {
		for _, it := range certItems[i] {
			if it.Kind == "cert" && it.PubHash != "" {
				certs[it.PubHash] = append(certs[it.PubHash], certAt{it, f.Path})
			}
		}
	}
	for k, w := range order {
		loc := keyFiles[w]
		for _, it := range keyItems[k] {
			if it.Kind == "cert" || it.PubHash == "" {
				continue
			}
			for _, c := range certs[it.PubHash] {
				l := loc
				l.Line = 0
				f := model.Finding{
					RuleID: RuleCertKeyShipped, Title: "Private key of certificate " + c.path + " shipped in the image", Location: l,
					Evidence:    describeItem(it) + "; matches " + c.path + ": " + describeItem(c.it),
					Fingerprint: model.Fingerprint(RuleCertKeyShipped, w.path, it.PubHash+c.path),
				}
				if c.it.Cert.IsCA {
					f = model.Finding{
						RuleID: RuleCAKeyShipped, Title: "Private key of a CA certificate shipped in the image (" + c.path + ")", Location: l,
						Evidence:    describeItem(it) + "; matches CA certificate " + c.path + ": " + describeItem(c.it),
						Fingerprint: model.Fingerprint(RuleCAKeyShipped, w.path, it.PubHash),
					}
				}
				a.fill(&f)
				out.Findings = append(out.Findings, f)
			}
		}
	}
	return nil
}

// reportAllRef and reportRef are the file pass's reporting as it was
// before evidence was described only for the findings that use it.
func reportAllRef(a *Analyzer, in *plugin.Input, items []Item, out *plugin.Results) {
	certs := 0
	for _, it := range items {
		if it.Kind == "cert" {
			certs++
		}
	}
	bundle := certs > 3 || trustStore(in.Path)
	for _, it := range items {
		reportRef(a, in, it, bundle, out)
	}
}

func reportRef(a *Analyzer, in *plugin.Input, it Item, bundle bool, out *plugin.Results) {
	loc := in.Loc
	if it.Line > 0 && (in.Type.Type == filetype.Text || in.Type.Type == filetype.PEM || in.Type.Type == filetype.Script) {
		loc.Line = it.Line
	} else {
		loc.Offset = it.Offset
	}
	add := func(rule, title, ev, key string) {
		f := model.Finding{RuleID: rule, Title: title, Location: loc, Evidence: ev, Fingerprint: model.Fingerprint(rule, in.Path, key)}
		a.fill(&f)
		out.Findings = append(out.Findings, f)
	}
	desc := describeItem(it)
	switch it.Kind {
	case "key":
		switch {
		case it.Encrypted:
			add(RuleEncryptedKey, "Passphrase-protected private key shipped in the image ("+it.KeyType+")", desc, keyKey(it))
		case isSSHHostKey(in.Path):
			add(RuleSSHHostKey, "SSH host private key shipped in the image ("+it.KeyType+")", desc, keyKey(it))
		default:
			add(RulePrivateKey, "Unencrypted private key shipped in the image ("+it.KeyType+")", desc, keyKey(it))
		}
		a.weakKey(it, add)
	case "pgp":
		add(RulePGPKey, "OpenPGP private key block shipped in the image", desc, keyKey(it))
	case "pkcs12":
		if it.Unlocked {
			pw := "an empty password"
			if it.Comment != "" {
				pw = "a default password"
			}
			add(RulePKCS12Open, "PKCS#12 key store opens with "+pw, desc, keyKey(it))
			a.weakKey(it, add)
		} else {
			add(RulePKCS12, "PKCS#12 key store shipped in the image", desc, keyKey(it))
		}
	case "authorized-key":
		add(RuleAuthorizedKey, "SSH authorized key shipped in the image ("+it.KeyType+")", fmt.Sprintf("%s %s %s", it.KeyType, it.PubHash, it.Comment), it.PubHash)
	case "cert":
		if !testFixture(in.Path) {
			a.cert(it, bundle, add)
		}
	}
}
