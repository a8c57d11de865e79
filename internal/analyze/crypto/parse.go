package crypto

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/dsa" //nolint:staticcheck // DSA keys are found, not used
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"

	"golang.org/x/crypto/pkcs12" //nolint:staticcheck // only to unlock shipped containers
	"golang.org/x/crypto/ssh"
)

// Item is one key or certificate found in a file.
type Item struct {
	Kind      string // "key", "cert", "pgp", "pkcs12", "authorized-key"
	Format    string // "PKCS#1 PEM", "PKCS#8 DER", "OpenSSH", "dropbear", ...
	Encrypted bool
	KeyType   string // RSA, EC P-256, Ed25519, DSA, ...
	Bits      int
	// PubHash is the SHA-256 of the PKIX public key: keys and
	// certificates with equal hashes are one key pair.
	PubHash  string
	Cert     *x509.Certificate
	Offset   int64
	Line     int
	Comment  string // authorized_keys comment, PKCS#12 password
	Unlocked bool   // PKCS#12 opened with a default password
	Raw      []byte // the block (for the fingerprint key when no PubHash)

	pub stdcrypto.PublicKey // the public key PubHash is of
}

func pubHash(pub stdcrypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		if k, ok := pub.(ed25519.PublicKey); ok {
			der = k
		} else {
			return ""
		}
	}
	s := sha256.Sum256(der)
	return hex.EncodeToString(s[:])
}

// describe fills type and size from a parsed private or public key.
func describe(it *Item, key any) {
	var pub stdcrypto.PublicKey
	switch k := key.(type) {
	case *rsa.PrivateKey:
		it.KeyType, it.Bits, pub = "RSA", k.N.BitLen(), &k.PublicKey
	case *rsa.PublicKey:
		it.KeyType, it.Bits, pub = "RSA", k.N.BitLen(), k
	case *ecdsa.PrivateKey:
		it.KeyType, it.Bits, pub = "EC "+k.Curve.Params().Name, k.Curve.Params().BitSize, &k.PublicKey
	case *ecdsa.PublicKey:
		it.KeyType, it.Bits, pub = "EC "+k.Curve.Params().Name, k.Curve.Params().BitSize, k
	case ed25519.PrivateKey:
		it.KeyType, it.Bits, pub = "Ed25519", 256, k.Public()
	case *ed25519.PrivateKey:
		it.KeyType, it.Bits, pub = "Ed25519", 256, k.Public()
	case ed25519.PublicKey:
		it.KeyType, it.Bits, pub = "Ed25519", 256, k
	case *dsa.PrivateKey:
		it.KeyType, it.Bits, pub = "DSA", k.P.BitLen(), &k.PublicKey
	case *dsa.PublicKey:
		it.KeyType, it.Bits, pub = "DSA", k.P.BitLen(), k
	default:
		it.KeyType = fmt.Sprintf("%T", key)
	}
	if pub != nil {
		it.PubHash = pubHash(pub)
		it.pub = pub
	}
}

// pubBytes returns the bytes of a public key that every certificate of
// that key holds as they are: crypto/x509 reads an RSA modulus and a DSA
// Y as minimal INTEGERs (their content is the number's bytes, after a
// zero byte at most), an ECDSA point only uncompressed and an Ed25519 key
// only as its 32 bytes. Nil when pub is of another kind.
func pubBytes(pub stdcrypto.PublicKey) []byte {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N != nil {
			return k.N.Bytes()
		}
	case *ecdsa.PublicKey:
		if b, err := k.Bytes(); err == nil {
			return b
		}
	case ed25519.PublicKey:
		return k
	case *dsa.PublicKey:
		if k.Y != nil {
			return k.Y.Bytes()
		}
	}
	return nil
}

type dsaKeyASN1 struct {
	Version       int
	P, Q, G, Y, X *big.Int
}

// parsePEM turns one PEM block into an item; ok is false for blocks that
// are neither keys nor certificates (public keys, CRLs, requests), and
// for certificates whose DER wantCert rejects (nil: none).
func parsePEM(b *pem.Block, raw []byte, wantCert func(der []byte) bool) (Item, bool) {
	it := Item{Kind: "key", Raw: raw}
	_, encHdr := b.Headers["DEK-Info"]
	switch b.Type {
	case "RSA PRIVATE KEY":
		it.Format, it.KeyType, it.Encrypted = "PKCS#1 PEM", "RSA", encHdr
		if !encHdr {
			k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
			if err != nil {
				return it, true
			}
			describe(&it, k)
		}
	case "PRIVATE KEY":
		it.Format = "PKCS#8 PEM"
		if k, err := x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
			describe(&it, k)
		} else if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
			describe(&it, k) // x/crypto/pkcs12 labels PKCS#1 keys so
		} else if k, err := x509.ParseECPrivateKey(b.Bytes); err == nil {
			describe(&it, k)
		} else if bits := pkcs8DSABits(b.Bytes); bits > 0 {
			it.KeyType, it.Bits = "DSA", bits
		} else {
			it.KeyType = "unknown (PKCS#8)"
		}
	case "ENCRYPTED PRIVATE KEY":
		it.Format, it.Encrypted, it.KeyType = "PKCS#8 PEM", true, "unknown (encrypted)"
	case "EC PRIVATE KEY":
		it.Format, it.KeyType, it.Encrypted = "SEC1 PEM", "EC", encHdr
		if !encHdr {
			if k, err := x509.ParseECPrivateKey(b.Bytes); err == nil {
				describe(&it, k)
			}
		}
	case "DSA PRIVATE KEY":
		it.Format, it.KeyType, it.Encrypted = "DSA PEM", "DSA", encHdr
		var k dsaKeyASN1
		if !encHdr {
			if _, err := asn1.Unmarshal(b.Bytes, &k); err == nil && k.P != nil {
				describe(&it, &dsa.PrivateKey{PublicKey: dsa.PublicKey{Parameters: dsa.Parameters{P: k.P, Q: k.Q, G: k.G}, Y: k.Y}, X: k.X})
			}
		}
	case "OPENSSH PRIVATE KEY":
		it.Format = "OpenSSH"
		k, err := ssh.ParseRawPrivateKey(raw)
		var pm *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &pm):
			it.Encrypted = true
			if pm.PublicKey != nil {
				if cp, ok := pm.PublicKey.(ssh.CryptoPublicKey); ok {
					describe(&it, cp.CryptoPublicKey())
				}
			}
		case err == nil:
			describe(&it, k)
		default:
			it.KeyType = "unknown (OpenSSH)"
		}
	case "SSH2 ENCRYPTED PRIVATE KEY":
		it.Format, it.Encrypted, it.KeyType = "SSH.COM", true, "unknown"
	case "PGP PRIVATE KEY BLOCK":
		it.Kind, it.Format, it.KeyType = "pgp", "OpenPGP armored", "OpenPGP"
	case "CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE":
		if wantCert != nil && !wantCert(b.Bytes) {
			return it, false
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return it, false
		}
		it.Kind, it.Format, it.Cert = "cert", "PEM", c
		describe(&it, c.PublicKey)
	default:
		return it, false
	}
	return it, true
}

// parseDER tries a DER blob as a certificate or a private key.
func parseDER(b []byte) (Item, bool) {
	it := Item{Kind: "key", Raw: b}
	if c, err := x509.ParseCertificate(b); err == nil {
		it.Kind, it.Format, it.Cert = "cert", "DER", c
		describe(&it, c.PublicKey)
		return it, true
	}
	if k, err := x509.ParsePKCS8PrivateKey(b); err == nil {
		it.Format = "PKCS#8 DER"
		describe(&it, k)
		return it, true
	}
	if k, err := x509.ParsePKCS1PrivateKey(b); err == nil {
		it.Format = "PKCS#1 DER"
		describe(&it, k)
		return it, true
	}
	if k, err := x509.ParseECPrivateKey(b); err == nil {
		it.Format = "SEC1 DER"
		describe(&it, k)
		return it, true
	}
	return it, false
}

// derLen returns the total length of the DER element at b[0] (a
// SEQUENCE with a definite length), or 0.
func derLen(b []byte) int {
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

// derStarts are the first bytes (after the outer SEQUENCE header) of DER
// keys and certificates worth a parse attempt when carving binaries.
var derStarts = [][]byte{
	{0x30, 0x82},             // certificate: tbsCertificate SEQUENCE
	{0x02, 0x01, 0x00, 0x02}, // PKCS#1: version 0, modulus
	{0x02, 0x01, 0x00, 0x30}, // PKCS#8: version 0, AlgorithmIdentifier
	{0x02, 0x01, 0x01, 0x04}, // SEC1 EC: version 1, private key octets
}

// carveDER parses the DER candidates of a binary (search), in order; a
// candidate inside a structure parsed before is not tried.
func carveDER(data []byte, cands []int, items []Item) []Item {
	off := 0
	for _, p := range cands {
		if p < off {
			continue
		}
		n := derLen(data[p:])
		if it, ok := parseDER(data[p : p+n]); ok {
			it.Offset = int64(p)
			items = append(items, it)
			off = p + n
		}
	}
	return items
}

// DefaultP12Passwords are tried to open PKCS#12 containers.
var DefaultP12Passwords = []string{"", "password", "changeit", "changeme", "1234", "12345", "123456", "admin", "secret", "pass", "test", "client", "server", "device"}

// parsePKCS12 opens a PKCS#12 container with the default passwords.
func parsePKCS12(b []byte) (Item, bool) {
	it := Item{Kind: "pkcs12", Format: "PKCS#12", Encrypted: true, Raw: b}
	for _, pw := range DefaultP12Passwords {
		blocks, err := pkcs12.ToPEM(b, pw)
		if err != nil {
			continue
		}
		it.Unlocked, it.Comment = true, pw
		for _, blk := range blocks {
			if k, ok := parsePEM(blk, pem.EncodeToMemory(blk), nil); ok && k.Kind == "key" {
				it.KeyType, it.Bits, it.PubHash, it.pub = k.KeyType, k.Bits, k.PubHash, k.pub
			}
		}
		break
	}
	return it, true
}

// isPKCS12 recognises the PFX structure: SEQUENCE { INTEGER 3, ... }.
func isPKCS12(b []byte) bool {
	n := derLen(b)
	if n == 0 || n > len(b)+0 {
		return false
	}
	hdr := 2
	if b[1] >= 0x80 {
		hdr += int(b[1] & 0x7f)
	}
	return len(b) > hdr+3 && bytes.HasPrefix(b[hdr:], []byte{0x02, 0x01, 0x03, 0x30})
}

// dropbearTypes are the key type names that open a dropbear key file.
var dropbearTypes = []string{"ssh-rsa", "ssh-dss", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"}

// parseDropbear reads dropbear's own binary private key format: SSH wire
// strings, the key type first, then the private key fields.
func parseDropbear(b []byte) (Item, bool) {
	it := Item{Kind: "key", Format: "dropbear", Raw: b}
	str := func(p []byte) ([]byte, []byte, bool) {
		if len(p) < 4 {
			return nil, nil, false
		}
		n := binary.BigEndian.Uint32(p)
		if uint64(n) > uint64(len(p)-4) {
			return nil, nil, false
		}
		return p[4 : 4+n], p[4+n:], true
	}
	typ, rest, ok := str(b)
	if !ok {
		return it, false
	}
	known := false
	for _, t := range dropbearTypes {
		known = known || string(typ) == t
	}
	if !known {
		return it, false
	}
	switch string(typ) {
	case "ssh-rsa":
		e, rest, ok1 := str(rest)
		n, _, ok2 := str(rest)
		if ok1 && ok2 {
			describe(&it, &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())})
		}
	case "ssh-ed25519":
		k, _, ok := str(rest)
		if ok && len(k) == 64 {
			describe(&it, ed25519.PublicKey(k[32:]))
		}
	case "ssh-dss":
		p, _, ok := str(rest)
		it.KeyType = "DSA"
		if ok {
			it.Bits = new(big.Int).SetBytes(p).BitLen()
		}
	default:
		it.KeyType = "EC " + string(typ[len("ecdsa-sha2-"):])
	}
	return it, true
}

var oidDSA = asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}

// pkcs8DSABits reads the size of a PKCS#8 DSA key (crypto/x509 does not
// parse DSA private keys).
func pkcs8DSABits(der []byte) int {
	var k struct {
		Version int
		Algo    struct {
			OID    asn1.ObjectIdentifier
			Params struct{ P, Q, G *big.Int }
		}
		Key []byte
	}
	if _, err := asn1.Unmarshal(der, &k); err != nil || !k.Algo.OID.Equal(oidDSA) || k.Algo.Params.P == nil {
		return 0
	}
	return k.Algo.Params.P.BitLen()
}
