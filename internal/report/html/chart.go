package html

import (
	"sort"
	"strconv"

	"github.com/thingsec/thingsec/internal/model"
)

// chart is a horizontal stacked bar chart drawn as inline SVG: one bar
// per row, one coloured segment per series.
type chart struct {
	ID, Title string
	Empty     string // what to say when there is nothing to draw
	W, H      int
	Legend    []legendItem
	Bars      []bar
}

type legendItem struct {
	X     int
	Label string
	Class string
}

type bar struct {
	Label, Total string
	Y, TextY     int
	TotalX       int
	Segs         []seg
}

type seg struct {
	X, W  int
	Class string
	Title string
}

type series struct{ Label, Class string }

type row struct {
	Label  string
	Counts []int // one per series
	Total  string
}

// Chart geometry, in SVG user units.
const (
	chartW  = 560
	labelW  = 150
	barArea = 330
	rowH    = 22
	top     = 30
)

func stacked(id, title, empty string, ss []series, rows []row) chart {
	c := chart{ID: id, Title: title, Empty: empty, W: chartW}
	max := 0
	for _, r := range rows {
		t := 0
		for _, n := range r.Counts {
			t += n
		}
		max = maxInt(max, t)
	}
	if max == 0 {
		return c
	}
	x := 0
	for _, s := range ss {
		c.Legend = append(c.Legend, legendItem{X: x, Label: s.Label, Class: s.Class})
		x += 14 + 7*len(s.Label) + 14
	}
	for i, r := range rows {
		b := bar{Label: r.Label, Y: top + i*rowH, TextY: top + i*rowH + 14}
		x, t := labelW, 0
		for j, n := range r.Counts {
			if n == 0 {
				continue
			}
			w := maxInt(1, n*barArea/max)
			b.Segs = append(b.Segs, seg{X: x, W: w, Class: ss[j].Class, Title: r.Label + ", " + ss[j].Label + ": " + strconv.Itoa(n)})
			x += w
			t += n
		}
		b.TotalX = x + 6
		b.Total = r.Total
		if b.Total == "" {
			b.Total = strconv.Itoa(t)
		}
		c.Bars = append(c.Bars, b)
	}
	c.H = top + len(rows)*rowH + 4
	return c
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func severitySeries(exclude model.Severity) []series {
	var ss []series
	for _, s := range model.Severities {
		if s != exclude {
			ss = append(ss, series{Label: string(s), Class: sevClass(s)})
		}
	}
	return ss
}

func charts(rep *model.Report, v *view) []chart {
	var out []chart

	// findings: one bar per category, by severity
	fss := severitySeries(model.Unknown)
	byCat := map[string][]int{}
	for _, f := range rep.Findings {
		if byCat[f.Category] == nil {
			byCat[f.Category] = make([]int, len(fss))
		}
		for i, s := range fss {
			if s.Class == sevClass(f.Severity) {
				byCat[f.Category][i]++
			}
		}
	}
	var rows []row
	for c, n := range byCat {
		rows = append(rows, row{Label: c, Counts: n})
	}
	sortRows(rows)
	out = append(out, stacked("chart-findings", "Findings by category and severity", "No findings.", fss, rows))

	// vulnerabilities: one bar per severity, by VEX status
	vs := []series{{"no statement", "st-none"}, {"affected", "st-affected"}, {"under investigation", "st-investigating"},
		{"not affected", "st-not-affected"}, {"fixed", "st-fixed"}}
	status := map[string]int{"": 0, "affected": 1, "exploitable": 1, "under_investigation": 2, "in_triage": 2,
		"not_affected": 3, "false_positive": 3, "fixed": 4, "resolved": 4}
	rows = nil
	for _, s := range model.Severities {
		if s == model.Info {
			continue
		}
		r := row{Label: string(s), Counts: make([]int, len(vs))}
		for _, x := range v.Vulns {
			if x.V.Severity == s {
				r.Counts[status[x.Status]]++
			}
		}
		rows = append(rows, r)
	}
	out = append(out, stacked("chart-vulnerabilities", "Vulnerabilities by severity and VEX status", "No known vulnerabilities.", vs, rows))

	// hardening: one bar per mitigation, binaries with and without it
	rows = nil
	if h := rep.Summary.Hardening; h != nil {
		for _, m := range h.Mitigations {
			if m.Of > 0 {
				rows = append(rows, row{Label: m.Name, Counts: []int{m.Have, m.Of - m.Have}, Total: strconv.FormatFloat(m.Percent, 'f', -1, 64) + "%"})
			}
		}
	}
	out = append(out, stacked("chart-hardening", "Hardening coverage of executables and libraries", "No ELF binaries.",
		[]series{{"has it", "have"}, {"lacks it", "lack"}}, rows))

	// components: one bar per type, known and unknown versions
	byType := map[string][]int{}
	for _, c := range v.Comps {
		if byType[c.C.Type] == nil {
			byType[c.C.Type] = make([]int, 2)
		}
		if c.Unknown {
			byType[c.C.Type][1]++
		} else {
			byType[c.C.Type][0]++
		}
	}
	rows = nil
	for t, n := range byType {
		rows = append(rows, row{Label: t, Counts: n})
	}
	sortRows(rows)
	out = append(out, stacked("chart-components", "Components by type: version known or unknown", "No components.",
		[]series{{"version known", "known"}, {"version unknown", "unknown-version"}}, rows))
	return out
}

// sortRows puts the longest bars first, then by label.
func sortRows(rows []row) {
	total := func(r row) int {
		t := 0
		for _, n := range r.Counts {
			t += n
		}
		return t
	}
	sort.Slice(rows, func(i, j int) bool {
		if a, b := total(rows[i]), total(rows[j]); a != b {
			return a > b
		}
		return rows[i].Label < rows[j].Label
	})
}
