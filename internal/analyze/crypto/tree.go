package crypto

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// AnalyzeTree implements plugin.TreeAnalyzer: it matches the private
// keys the file pass reported against every certificate of the image by
// public key. It re-reads the few files involved instead of keeping
// state between the passes.
func (a *Analyzer) AnalyzeTree(ctx context.Context, t plugin.Tree, rep *model.Report, out *plugin.Results) error {
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
	// The key files are read and scanned in parallel (a key file may be a
	// large binary, scanned again whole), then the certificate files; the
	// results are used in their order. Their bytes are borrowed where the
	// tree lends them (items slice them, so all are given back at the
	// end, when only the findings' text is left).
	var lentMu sync.Mutex
	var lent []func()
	defer func() {
		for _, release := range lent {
			release()
		}
	}()
	read := func(layer, p string, max int64) ([]byte, error) {
		if l, ok := t.(plugin.Lender); ok {
			data, release, ok, err := l.ReadFileLent(layer, p, max)
			if ok {
				if release != nil {
					lentMu.Lock()
					lent = append(lent, release)
					lentMu.Unlock()
				}
				return data, err
			}
		}
		return t.ReadFile(layer, p, max)
	}
	keyItems := make([][]Item, len(order))
	inParallel(len(order), func(i int) {
		if ctx.Err() != nil {
			return
		}
		w := order[i]
		data, err := read(w.layer, w.path, a.opt.MaxSize)
		if err != nil {
			return
		}
		keyItems[i] = Scan(w.path, data, filetype.Detect(w.path, data[:min(len(data), filetype.HeadSize)], int64(len(data))))
	})
	// Parsing the certificates of a CA bundle costs most of the pairing;
	// only those that can hold a key found are parsed.
	want := certFilter(keyItems)
	certItems := make([][]Item, len(certFiles))
	inParallel(len(certFiles), func(i int) {
		if ctx.Err() != nil {
			return
		}
		f := certFiles[i]
		data, err := read(f.Layer, f.Path, 4<<20)
		if err != nil {
			return
		}
		certItems[i] = scan(f.Path, data, filetype.Detect(f.Path, data[:min(len(data), filetype.HeadSize)], int64(len(data))), want)
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

// certFilter accepts the certificates (DER) that may hold the public key
// of a key paired below (a key item with a PubHash): equal PubHashes mean
// equal public keys, and a certificate holds its key's pubBytes as they
// are. The others cannot match, and their parse is skipped. Nil (parse
// all) when some such key's bytes are unknown.
func certFilter(keyItems [][]Item) func(der []byte) bool {
	var keys [][]byte
	for _, items := range keyItems {
		for _, it := range items {
			if it.Kind == "cert" || it.PubHash == "" {
				continue
			}
			b := pubBytes(it.pub)
			if len(b) == 0 {
				return nil
			}
			keys = append(keys, b)
		}
	}
	return func(der []byte) bool {
		for _, k := range keys {
			if bytes.Contains(der, k) {
				return true
			}
		}
		return false
	}
}

// inParallel runs fn(0..n-1) on up to GOMAXPROCS goroutines.
func inParallel(n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}
