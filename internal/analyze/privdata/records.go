package privdata

import (
	"fmt"
	"hash/maphash"
	"sort"
	"strings"
)

// A group is one collection of records: an SQLite table, the rows of a
// CSV file, the elements of a JSON array or the repeated elements of an
// XML document. Its columns count, per sort of data, how many records
// hold a value of that sort, keeping hashes of the distinct values and
// never the values.
type group struct {
	name    string // "users", "$.clients[]", "/clients/client"
	records int
	cols    []*column
	byName  map[string]*column
	// personalRows counts records with e-mail, phone, birth date or
	// location data.
	personalRows int
	// line is where the group starts in a text file (0: unknown).
	line int
}

type column struct {
	name     string
	field    fieldKind
	nonEmpty int
	rows     [nKinds]int
	distinct [nKinds]map[uint64]bool
	// digests counts password hashes that are bare hex digests (no
	// salt), by length.
	digests map[int]int
	// lat/lon pairs of the same record are counted on the lat column.
}

var seed = maphash.MakeSeed()

func newGroup(name string) *group { return &group{name: name, byName: map[string]*column{}} }

func (g *group) col(name string) *column {
	c := g.byName[name]
	if c == nil {
		c = &column{name: name, field: classifyField(name)}
		g.byName[name] = c
		g.cols = append(g.cols, c)
	}
	return c
}

func (c *column) add(k kind, v string) {
	c.rows[k]++
	if c.distinct[k] == nil {
		c.distinct[k] = map[uint64]bool{}
	}
	if len(c.distinct[k]) < 1<<16 {
		c.distinct[k][maphash.String(seed, v)] = true
	}
}

// field is one value of a record, by column name.
type field struct {
	col string
	val string
}

// record classifies one record's values.
func (g *group) record(fields []field) {
	g.records++
	personal := false
	var lat, lon *column
	var latV, lonV string
	for _, f := range fields {
		v := strings.TrimSpace(f.val)
		c := g.col(f.col)
		if v == "" {
			continue
		}
		c.nonEmpty++
		fk := c.field
		switch {
		case isEmail(v):
			c.add(kEmail, v)
			personal = true
		case isPhone(v, fk.phone):
			c.add(kPhone, v)
			personal = true
		case fk.birth && isDate(v):
			c.add(kBirth, v)
			personal = true
		case fk.geo && isLatLon(v):
			c.add(kGeo, v)
			personal = true
		case fk.lat && coordinate(v, 90):
			lat, latV = c, v
		case fk.lon && coordinate(v, 180):
			lon, lonV = c, v
		case fk.name && isName(v):
			c.add(kName, v)
		case fk.device && (macRe.MatchString(v) || len(v) >= 6):
			c.add(kDevice, v)
		case fk.hashed && !placeholder(v) || (fk.password || fk.pin) && isHash(v):
			c.add(kHashedPassword, v)
			if hexRe.MatchString(v) {
				if c.digests == nil {
					c.digests = map[int]int{}
				}
				c.digests[len(v)]++
			}
		case fk.password && !placeholder(v):
			c.add(kPlainPassword, v)
		case fk.pin && pinValue(v):
			c.add(kPlainPassword, v)
		}
	}
	if lat != nil && lon != nil {
		lat.add(kGeo, latV+","+lonV)
		personal = true
	}
	if personal {
		g.personalRows++
	}
}

// verdict is what a group holds, column by column.
type verdict struct {
	cols     []colVerdict
	personal bool // e-mail, phone, birth date or location in several records
	plain    int  // records with a plaintext password
	hashed   bool
	unsalted bool // every hash of a column is a bare hex digest
	user     bool // a column names users
}

type colVerdict struct {
	name string
	kind kind
	rows int
	note string // "unsalted MD5" for bare digests
}

// digestName names a bare hex digest by its length.
var digestName = map[int]string{32: "MD5", 40: "SHA-1", 56: "SHA-224", 64: "SHA-256", 96: "SHA-384", 128: "SHA-512"}

// minRecords: one address in a config file is a contact, not a store.
const minRecords = 2

func (g *group) judge() verdict {
	var v verdict
	for _, c := range g.cols {
		if c.field.user {
			v.user = true
		}
		for k := kind(0); k < nKinds; k++ {
			n := c.rows[k]
			if n == 0 {
				continue
			}
			d := len(c.distinct[k])
			switch {
			case k == kPlainPassword:
				v.plain = max(v.plain, n)
			case k == kHashedPassword:
				v.hashed = true
			case d < minRecords || 2*n < c.nonEmpty:
				continue // a value or two among others: not what the column holds
			}
			if k.personal() {
				v.personal = true
			}
			cv := colVerdict{name: c.name, kind: k, rows: n}
			if k == kHashedPassword && len(c.digests) == 1 {
				for l, m := range c.digests {
					if m == n {
						cv.note = "unsalted " + digestName[l]
						v.unsalted = true
					}
				}
			}
			v.cols = append(v.cols, cv)
		}
	}
	if g.personalRows < minRecords {
		v.personal = false
	}
	return v
}

// kinds lists the personal kinds found, in a fixed order.
func (v verdict) kinds() []string {
	seen := map[kind]bool{}
	var ks []kind
	for _, c := range v.cols {
		if !seen[c.kind] && c.kind != kPlainPassword && c.kind != kHashedPassword {
			seen[c.kind] = true
			ks = append(ks, c.kind)
		}
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	var out []string
	for _, k := range ks {
		out = append(out, what[k])
	}
	return out
}

// evidence lists columns and counts: never a value.
func (v verdict) evidence(records int, unit string) string {
	var parts []string
	for _, c := range v.cols {
		w := what[c.kind]
		if c.note != "" {
			w = c.note + " " + w
		}
		parts = append(parts, fmt.Sprintf("%s: %d %s with %s", c.name, c.rows, plural(c.rows, unit), w))
	}
	return fmt.Sprintf("%d %s; %s", records, plural(records, unit), strings.Join(parts, "; "))
}

func plural(n int, unit string) string {
	if n == 1 {
		return unit
	}
	return unit + "s"
}
