package accounts

import (
	"context"
	"testing"
)

// benchCandidates are eight default-like passwords of mixed lengths, all
// in one run (class 0) under a 16-byte salt.
var benchCandidates = []string{"admin1", "root", "password", "12345678", "support", "admin123", "toor", "1234"}

const benchSHA512Hash = "$6$3vKIfKbWSZNvqO2v$vlhklQNHQHudpxWqrESWX0UmoSTqcNisIMoSVTa6GCrp9xMUeZ5U86wS5MLeUfG9BI8Z8zzhpFs3EHcJV9d1t/"

// BenchmarkSHA512CryptBatch checks eight candidates against a
// SHA-512-crypt hash (5000 rounds): one by one with SHACrypt (scalar),
// then in one multi-buffer run with each compression function this
// machine has. ns/candidate compares them.
func BenchmarkSHA512CryptBatch(b *testing.B) {
	b.Run("scalar", func(b *testing.B) {
		for b.Loop() {
			for _, pw := range benchCandidates {
				if SHACrypt(pw, benchSHA512Hash, true) == benchSHA512Hash {
					b.Fatal("matched")
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(benchCandidates)), "ns/candidate")
	})
	for _, bf := range block8Funcs() {
		b.Run(bf.name, func(b *testing.B) {
			sb := newSHA512Batch(benchSHA512Hash, bf.f)
			if len(sb.batches(benchCandidates)) != 1 {
				b.Fatal("the candidates do not fit one run")
			}
			for b.Loop() {
				if sb.check(context.Background(), benchCandidates) != 0 {
					b.Fatal("matched")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(benchCandidates)), "ns/candidate")
		})
	}
}

type namedBlock8 struct {
	name string
	f    block8Func
}

// block8Funcs are the compression functions this machine can run: the
// portable one always, the assembly where the CPU has it.
func block8Funcs() []namedBlock8 {
	fs := []namedBlock8{{"generic", block8Generic}}
	if hasBlock8Asm {
		fs = append(fs, namedBlock8{"avx512", block8Asm})
	}
	return fs
}

// BenchmarkBlock8 is one 8-lane SHA-512 compression (8 blocks of 128
// bytes, one per lane).
func BenchmarkBlock8(b *testing.B) {
	for _, bf := range block8Funcs() {
		b.Run(bf.name, func(b *testing.B) {
			h := sha512IVLanes
			m := make([]lanes, 16)
			b.SetBytes(8 * 128)
			for b.Loop() {
				bf.f(&h, m)
			}
		})
	}
}
