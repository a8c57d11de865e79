// Package acceptance checks whole scans against the answer keys of the
// shared firmware corpus (../shared/corpus/firmware): every finding the
// key lists is reported at its path with its category, and the key's
// negative controls are not. It has only tests; they skip when the shared
// corpus is absent.
package acceptance
