package crypto

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/benchtree"
	"github.com/thingsec/thingsec/internal/model"
)

// itemText is every field of an item, the certificate by its bytes.
func itemText(it Item) string {
	cert := ""
	if it.Cert != nil {
		cert = fmt.Sprintf("%x", sha256.Sum256(it.Cert.Raw))
	}
	return fmt.Sprintf("%s|%s|%v|%s|%d|%s|%s|%d|%d|%s|%v|%x", it.Kind, it.Format, it.Encrypted, it.KeyType, it.Bits,
		it.PubHash, cert, it.Offset, it.Line, it.Comment, it.Unlocked, sha256.Sum256(it.Raw))
}

// sameScan fails t when Scan and the reference differ on data as path p
// of type ft, and returns the items.
func sameScan(t testing.TB, p string, data []byte, ft filetype.Result) []Item {
	t.Helper()
	for _, carve := range []bool{false, true} {
		w := fmt.Sprint(marksRef(data, carve))
		if g := fmt.Sprint(search(data, carve)); g != w {
			t.Fatalf("%s, carving %v: the search finds %s, the reference %s", p, carve, g, w)
		}
		if g := fmt.Sprint(searchBytes(data, carve)); g != w {
			t.Fatalf("%s, carving %v: the two-pass search finds %s, the reference %s", p, carve, g, w)
		}
	}
	got, want := Scan(p, data, ft), scanRef(p, data, ft)
	if len(got) != len(want) {
		t.Fatalf("%s (%v): %d items, the reference finds %d", p, ft.Type, len(got), len(want))
	}
	for i := range got {
		if g, w := itemText(got[i]), itemText(want[i]); g != w {
			t.Fatalf("%s (%v): item %d is\n%s\nthe reference's is\n%s", p, ft.Type, i, g, w)
		}
	}
	return got
}

// asTypes are the types a file is scanned as: its own and the three
// ways Scan reads bytes (text, binary, DER).
func asTypes(p string, data []byte) []filetype.Result {
	return []filetype.Result{
		filetype.Detect(p, data[:min(len(data), filetype.HeadSize)], int64(len(data))),
		{Type: filetype.Text}, {Type: filetype.Data}, {Type: filetype.DER},
	}
}

// TestScanSameTestdata compares the one-pass search with the reference
// on every fixture, under in-image names that take each of Scan's paths.
func TestScanSameTestdata(t *testing.T) {
	files, err := filepath.Glob("testdata/*")
	if err != nil || len(files) == 0 {
		t.Fatal("no fixtures", err)
	}
	found := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, dev := range []string{"/etc/" + filepath.Base(f), "/usr/bin/blob", "/etc/dropbear/dropbear_rsa_host_key", "/root/.ssh/authorized_keys"} {
			for _, ft := range asTypes(dev, data) {
				found += len(sameScan(t, dev, data, ft))
			}
		}
		// the same bytes inside a binary, at every alignment of the
		// 16-byte blocks the search reads
		for pad := range 17 {
			b := append(append(bytes.Repeat([]byte{0x30, 0x7f, '-'}, pad), data...), 0x30, 0x82)
			sameScan(t, "/usr/bin/x", b, filetype.Result{Type: filetype.ELF})
		}
	}
	if found < len(files) {
		t.Fatalf("only %d items in %d fixtures", found, len(files))
	}
}

// openssl runs openssl with args in dir.
func openssl(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// opensslKeys makes RSA, EC and Ed25519 keys and certificates in every
// encoding Scan reads and returns the files' names, DER ones first.
func opensslKeys(t *testing.T, dir string) (der, pem []string) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	keys := []struct{ name, alg, opt string }{
		{"rsa1024", "RSA", "rsa_keygen_bits:1024"},
		{"rsa2048", "RSA", "rsa_keygen_bits:2048"},
		{"p256", "EC", "ec_paramgen_curve:P-256"},
		{"p384", "EC", "ec_paramgen_curve:P-384"},
		{"ed25519", "ED25519", ""},
	}
	for _, k := range keys {
		args := []string{"genpkey", "-algorithm", k.alg, "-out", k.name + ".p8.pem"}
		if k.opt != "" {
			args = append(args, "-pkeyopt", k.opt)
		}
		openssl(t, dir, args...)
		openssl(t, dir, "pkcs8", "-topk8", "-nocrypt", "-in", k.name+".p8.pem", "-outform", "DER", "-out", k.name+".p8.der")
		openssl(t, dir, "req", "-x509", "-new", "-key", k.name+".p8.pem", "-subj", "/CN="+k.name, "-days", "400", "-out", k.name+".crt.pem")
		openssl(t, dir, "x509", "-in", k.name+".crt.pem", "-outform", "DER", "-out", k.name+".crt.der")
		der = append(der, k.name+".p8.der", k.name+".crt.der")
		pem = append(pem, k.name+".p8.pem", k.name+".crt.pem")
		switch k.alg {
		case "RSA": // PKCS#1
			openssl(t, dir, "rsa", "-in", k.name+".p8.pem", "-traditional", "-out", k.name+".p1.pem")
			openssl(t, dir, "rsa", "-in", k.name+".p8.pem", "-traditional", "-outform", "DER", "-out", k.name+".p1.der")
			der, pem = append(der, k.name+".p1.der"), append(pem, k.name+".p1.pem")
		case "EC": // SEC1
			openssl(t, dir, "ec", "-in", k.name+".p8.pem", "-out", k.name+".sec1.pem")
			openssl(t, dir, "ec", "-in", k.name+".p8.pem", "-outform", "DER", "-out", k.name+".sec1.der")
			der, pem = append(der, k.name+".sec1.der"), append(pem, k.name+".sec1.pem")
		}
	}
	for i := range der {
		der[i] = filepath.Join(dir, der[i])
	}
	for i := range pem {
		pem[i] = filepath.Join(dir, pem[i])
	}
	return der, pem
}

// cArray writes b as a C array definition.
func cArray(name string, b []byte) string {
	var s strings.Builder
	fmt.Fprintf(&s, "const unsigned char %s[%d] = {", name, len(b))
	for i, c := range b {
		if i%16 == 0 {
			s.WriteString("\n")
		}
		fmt.Fprintf(&s, "%d,", c)
	}
	s.WriteString("\n};\n")
	return s.String()
}

// TestScanSameOpenSSL compares the one-pass search with the reference on
// openssl keys and certificates alone, and embedded in ELF programs built
// by cross compilers and in copies of the host's own programs.
func TestScanSameOpenSSL(t *testing.T) {
	dir := t.TempDir()
	ders, pems := opensslKeys(t, dir)
	var blobs [][]byte
	carvable := 0 // DER structures of 64 bytes or more, which carving finds
	for _, f := range append(append([]string{}, ders...), pems...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, b)
		if strings.HasSuffix(f, ".der") && len(b) >= 64 {
			carvable++
		}
		for _, ft := range asTypes(f, b) {
			if len(sameScan(t, f, b, ft)) == 0 && ft.Type != filetype.Text && len(b) >= 64 {
				t.Errorf("%s as %v: no item", f, ft.Type)
			}
		}
	}
	var elfs []string
	// C programs holding every key and certificate, DER as arrays, PEM as
	// strings, one per cross compiler installed
	var src strings.Builder
	src.WriteString("#include <stdio.h>\n")
	for i, b := range blobs {
		src.WriteString(cArray(fmt.Sprintf("blob%d", i), b))
	}
	src.WriteString("int main(void) { unsigned s = 0;\n")
	for i := range blobs {
		fmt.Fprintf(&src, "s += blob%d[%d];\n", i, i)
	}
	src.WriteString("printf(\"%u\\n\", s); return 0; }\n")
	if err := os.WriteFile(filepath.Join(dir, "keys.c"), []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cc := range []string{"arm-linux-gnueabihf-gcc", "mipsel-linux-gnu-gcc", "aarch64-linux-gnu-gcc", "gcc"} {
		if _, err := exec.LookPath(cc); err != nil {
			continue
		}
		out := filepath.Join(dir, "keys-"+cc)
		if b, err := exec.Command(cc, "-O2", "-o", out, filepath.Join(dir, "keys.c")).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", cc, err, b)
		}
		elfs = append(elfs, out)
	}
	if len(elfs) == 0 {
		t.Log("no C compiler: only copies of host programs")
	}
	for _, e := range elfs {
		data, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		items := sameScan(t, "/usr/bin/keys", data, filetype.Detect("/usr/bin/keys", data[:filetype.HeadSize], int64(len(data))))
		if len(items) < carvable {
			t.Errorf("%s: %d items, %d DER structures embedded", e, len(items), carvable)
		}
	}
	// host programs with the DER blobs spliced in at odd and even offsets
	for _, host := range []string{"/bin/ls", "/bin/sh", "/bin/cat"} {
		prog, err := os.ReadFile(host)
		if err != nil {
			continue
		}
		r := rand.New(rand.NewSource(int64(len(prog))))
		var b []byte
		pos := 0
		for _, blob := range blobs {
			cut := min(len(prog), pos+r.Intn(8192)+r.Intn(16))
			b = append(append(b, prog[pos:cut]...), blob...)
			pos = cut
		}
		b = append(b, prog[pos:]...)
		items := sameScan(t, "/usr/bin/x", b, filetype.Detect("/usr/bin/x", b[:filetype.HeadSize], int64(len(b))))
		if len(items) < carvable {
			t.Errorf("%s with keys: %d items, %d DER structures embedded", host, len(items), carvable)
		}
		// and the blob last, ending the file
		end := append(append([]byte{}, prog...), blobs[0]...)
		sameScan(t, "/usr/bin/x", end, filetype.Detect("/usr/bin/x", end[:filetype.HeadSize], int64(len(end))))
	}
}

// benchTree is the unpacked root file system the tree tests and
// benchmarks read, when it exists.
func benchTree() string {
	if d := os.Getenv(benchtree.Env); d != "" {
		return d
	}
	return benchtree.DefaultDir
}

// TestScanSameTree compares the one-pass search with the reference on
// every file of an unpacked firmware root file system.
func TestScanSameTree(t *testing.T) {
	dir := benchTree()
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no tree at %s (THINGSEC_BENCH_TREE)", dir)
	}
	if testing.Short() {
		t.Skip("short")
	}
	n := 0
	for _, f := range loadTree(t, dir) {
		n += len(sameScan(t, f.path, f.data, f.ft))
	}
	t.Logf("%d items", n)
}

// TestIndexStop compares the block search with the byte-at-a-time one at
// every offset of random bytes rich in the bytes it stops at.
func TestIndexStop(t *testing.T) {
	avx := useAVX2
	defer func() { useAVX2 = avx }()
	for _, useAVX2 = range []bool{avx, false} {
		testIndexStop(t)
	}
}

func testIndexStop(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	alphabet := []byte{0x30, '-', 0x3d, 0x3e, 0x7f, 0x80, 0x81, 0x83, 0x84, 0, 0xff, 'A'}
	for n := range 200 {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.Intn(len(alphabet))]
			if r.Intn(3) == 0 {
				b[i] = byte(r.Intn(256))
			}
		}
		sameStops(t, b)
	}
}

func sameStops(t testing.TB, b []byte) {
	t.Helper()
	for _, tag := range []byte{0x30, '-'} {
		for off := 0; off <= len(b); off++ {
			if got, want := indexStop(b[off:], tag), indexStopGeneric(b[off:], 0, tag); got != want {
				t.Fatalf("%x from %d, tag %#x: stop %d, want %d", b, off, tag, got, want)
			}
		}
	}
}

// FuzzCarveSame compares the one-pass search with the reference on
// arbitrary bytes.
func FuzzCarveSame(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 8192 {
			f.Add(b)
		}
	}
	f.Add([]byte("-----BEGIN -----BEGIN PGP PRIVATE KEY BLOCK-----\nPuTTY-User-Key-File-2\x30\x40\x02\x01\x00\x02"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sameStops(t, b[:min(len(b), 64)])
		types := []filetype.Result{{Type: filetype.Text}, {Type: filetype.Data}, {Type: filetype.DER}}
		if isPKCS12(b) {
			// the container's key derivation, the same code in both, runs
			// as many rounds as the bytes say: slow, and not the search
			types = types[:1]
		}
		for _, ft := range types {
			sameScan(t, "/etc/x", b, ft)
			sameScan(t, "/etc/dropbear/dropbear_rsa_host_key", b, ft)
		}
	})
}

// sameFindings fails t when the file pass's findings on data as dev
// differ from the reference's (scanRef, reportAllRef), and returns them.
func sameFindings(t testing.TB, a *Analyzer, dev string, data []byte) []model.Finding {
	t.Helper()
	head := data[:min(len(data), filetype.HeadSize)]
	fi := plugin.FileInfo{Path: dev, Size: int64(len(data)), Type: filetype.Detect(dev, head, int64(len(data))), Head: head}
	if !a.FileRequired(&fi) || strings.HasSuffix(dev, ".pub") && !isAuthorizedKeys(dev) {
		return nil
	}
	in := &plugin.Input{FileInfo: fi, Data: data, Loc: model.Location{Layer: "L0", Path: dev}}
	var got, want plugin.Results
	if err := a.Analyze(context.Background(), in, &got); err != nil {
		t.Fatal(err)
	}
	reportAllRef(a, in, scanRef(dev, data, fi.Type), &want)
	g, _ := json.Marshal(got.Findings)
	w, _ := json.Marshal(want.Findings)
	if string(g) != string(w) {
		t.Fatalf("%s: findings\n%s\nthe reference's\n%s", dev, g, w)
	}
	return got.Findings
}

// TestFindingsSame compares the file pass's findings with the
// reference's on every fixture, under in-image names of each kind
// (trust stores, key paths, SSH host keys, test trees), and on every
// file of the unpacked firmware tree when there is one.
func TestFindingsSame(t *testing.T) {
	a := New(Options{Now: fixedNow})
	files, _ := filepath.Glob("testdata/*")
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b := filepath.Base(f)
		for _, dev := range []string{"/etc/ssl/private/" + b, "/etc/ssl/certs/" + b, "/etc/ssl/certs/ca-certificates.crt", "/etc/ssh/ssh_host_rsa_key", "/usr/share/test/" + b, "/usr/bin/" + b} {
			n += len(sameFindings(t, a, dev, data))
		}
	}
	if n == 0 {
		t.Fatal("no findings on the fixtures")
	}
	dir := benchTree()
	if _, err := os.Stat(dir); err != nil || testing.Short() {
		return
	}
	for _, f := range loadTree(t, dir) {
		sameFindings(t, a, f.path, f.data)
	}
}
