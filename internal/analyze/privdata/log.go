package privdata

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/model"
)

// In free text only international numbers are phone numbers: a national
// number is any digit run.
var (
	logPhoneRe = lazyre.New(`(?:^|[^\w+])(\+[1-9][0-9 ().-]{6,20}[0-9])`)
	logGeoRe   = lazyre.New(`(?i)\b(?:lat|latitude)["']?\s*[=:]\s*["']?(-?\d{1,2}\.\d{4,})\b[^\n]{0,40}?\b(?:lon|lng|long|longitude)["']?\s*[=:]\s*["']?(-?\d{1,3}\.\d{4,})\b`)
	logEmailRe = lazyre.New(`[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}\b`)
)

// minLogValues: a log holds personal data when several distinct people
// (addresses, numbers, places) appear in it.
const minLogValues = 3

func (a *Analyzer) log(in *plugin.Input, out *plugin.Results) {
	type count struct {
		lines    int
		distinct map[uint64]bool
		first    int
	}
	var counts [nKinds]*count
	hit := func(k kind, v string, line int) bool {
		c := counts[k]
		if c == nil {
			c = &count{distinct: map[uint64]bool{}, first: line}
			counts[k] = c
		}
		if len(c.distinct) < 1<<16 {
			c.distinct[maphash.String(seed, v)] = true
		}
		return true
	}
	line := 0
	for rest := in.Data; len(rest) > 0; {
		line++
		l := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			l, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		var found [nKinds]bool
		if bytes.IndexByte(l, '@') >= 0 {
			for _, m := range logEmailRe.FindAll(l, -1) {
				if isEmail(string(m)) {
					found[kEmail] = hit(kEmail, string(m), line)
				}
			}
		}
		if bytes.IndexByte(l, '+') >= 0 {
			for _, m := range logPhoneRe.FindAllSubmatch(l, -1) {
				if isPhone(string(m[1]), false) {
					found[kPhone] = hit(kPhone, string(m[1]), line)
				}
			}
		}
		if bytes.Contains(bytes.ToLower(l), []byte("lat")) {
			for _, m := range logGeoRe.FindAllSubmatch(l, -1) {
				if coordinate(string(m[1]), 90) && coordinate(string(m[2]), 180) {
					found[kGeo] = hit(kGeo, string(m[1])+","+string(m[2]), line)
				}
			}
		}
		for k, f := range found {
			if f {
				counts[k].lines++
			}
		}
	}
	var parts, kinds []string
	first := 0
	for k, c := range counts {
		if c == nil || len(c.distinct) < minLogValues {
			continue
		}
		kinds = append(kinds, what[k])
		parts = append(parts, fmt.Sprintf("%d %s with %s (%d distinct)", c.lines, plural(c.lines, "line"), what[k], len(c.distinct)))
		if first == 0 || c.first < first {
			first = c.first
		}
	}
	if len(parts) == 0 {
		return
	}
	loc := in.Loc
	loc.Line = first
	a.add(in, out, model.Finding{RuleID: RulePIILog, Title: "Personal data in a log file: " + strings.Join(kinds, ", "),
		Location: loc, Evidence: strings.Join(parts, "; "), Fingerprint: model.Fingerprint(RulePIILog, in.Path, "log")})
}
