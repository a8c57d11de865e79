// Package epss reads FIRST EPSS score files: CSV with a leading
// "#model_version:...,score_date:..." comment line, then "cve,epss,percentile".
package epss

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/thingsec/thingsec/internal/vuln/limit"
	"github.com/thingsec/thingsec/internal/vuln/record"
)

// Decode streams the scores of r to put and returns their count.
func Decode(r io.Reader, put func(record.EPSS) error) (int, error) {
	lr := limit.NewReader(r)
	lr.Allow(0, limit.MaxLine)
	br := bufio.NewReader(lr)
	date := ""
	var head int64 // bytes of the comment line
	if b, _ := br.Peek(1); len(b) == 1 && b[0] == '#' {
		line, err := br.ReadString('\n')
		if err != nil {
			return 0, fmt.Errorf("line 1: %w", err)
		}
		head = int64(len(line))
		for _, kv := range strings.Split(strings.TrimSpace(strings.TrimPrefix(line, "#")), ",") {
			if k, v, ok := strings.Cut(kv, ":"); ok && k == "score_date" {
				date, _, _ = strings.Cut(v, "T")
			}
		}
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = 3
	cr.ReuseRecord = true
	lr.Allow(head, limit.MaxLine)
	header, err := cr.Read()
	if err != nil {
		return 0, fmt.Errorf("header: %w", err)
	}
	if header[0] != "cve" || header[1] != "epss" || header[2] != "percentile" {
		return 0, fmt.Errorf("header %q: want cve,epss,percentile", header)
	}
	n := 0
	for {
		lr.Allow(head+cr.InputOffset(), limit.MaxLine)
		rec, err := cr.Read()
		if err == io.EOF {
			return n, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return n, fmt.Errorf("row %d (byte offset %d): %w", n, cr.InputOffset(), err)
		}
		score, err1 := strconv.ParseFloat(rec[1], 64)
		pct, err2 := strconv.ParseFloat(rec[2], 64)
		if err1 != nil || err2 != nil || !strings.HasPrefix(rec[0], "CVE-") {
			return n, fmt.Errorf("row %d (line %d): want CVE-ID,score,percentile, got %q", n, line, rec)
		}
		if err := put(record.EPSS{CVE: rec[0], Score: score, Percentile: pct, Date: date}); err != nil {
			return n, err
		}
		n++
	}
}
