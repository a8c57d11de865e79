// Package benchtree generates large synthetic trees for benchmarks: a mix
// of text configs, scripts and binary blobs, deterministic for a seed.
package benchtree

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// Generate writes files files totalling about bytes bytes under dir, in
// directories of 500 files. A third are text, the rest binary.
func Generate(dir string, files int, bytes int64, seed uint64) error {
	rng := rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}))
	avg := bytes / int64(files)
	words := []string{"option", "config", "interface", "lan", "wan", "proto", "static", "dhcp", "ipaddr", "netmask", "enabled", "timeout", "server", "port", "log", "level"}
	buf := make([]byte, 0, 4*avg)
	for i := 0; i < files; i++ {
		d := filepath.Join(dir, fmt.Sprintf("d%03d", i/500))
		if i%500 == 0 {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		size := avg/2 + rng.Int64N(avg+1)
		buf = buf[:0]
		name := fmt.Sprintf("f%05d", i)
		if i%3 == 0 {
			name += ".conf"
			for int64(len(buf)) < size {
				buf = append(buf, words[rng.IntN(len(words))]...)
				if rng.IntN(6) == 0 {
					buf = append(buf, '\n')
				} else {
					buf = append(buf, ' ')
				}
			}
		} else {
			name += ".bin"
			buf = buf[:size]
			for j := range buf {
				buf[j] = byte(rng.Uint32())
			}
		}
		if err := os.WriteFile(filepath.Join(d, name), buf, 0o644); err != nil {
			return err
		}
	}
	return nil
}
