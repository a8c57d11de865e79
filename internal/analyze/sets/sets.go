// Package sets is the one place that says which analyzers a command runs.
// Each named set is an explicit list, one analyzer a line, in the order
// they run: "components" (thingsec sbom), "secrets" (thingsec secrets) and
// "default", everything (thingsec scan). Adding an analyzer is one package
// plus one line in each set that should run it.
package sets

import (
	"fmt"
	"os"
	"time"

	"github.com/thingsec/thingsec/internal/analyze/accounts"
	"github.com/thingsec/thingsec/internal/analyze/binver"
	"github.com/thingsec/thingsec/internal/analyze/cgi"
	"github.com/thingsec/thingsec/internal/analyze/confrules"
	"github.com/thingsec/thingsec/internal/analyze/crypto"
	"github.com/thingsec/thingsec/internal/analyze/elfsec"
	"github.com/thingsec/thingsec/internal/analyze/gobin"
	"github.com/thingsec/thingsec/internal/analyze/inventory"
	"github.com/thingsec/thingsec/internal/analyze/lockfile"
	"github.com/thingsec/thingsec/internal/analyze/perms"
	"github.com/thingsec/thingsec/internal/analyze/pkgdb"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/privdata"
	"github.com/thingsec/thingsec/internal/analyze/runtimes"
	"github.com/thingsec/thingsec/internal/analyze/secrets"
	"github.com/thingsec/thingsec/internal/analyze/secrets/verify"
	"github.com/thingsec/thingsec/internal/analyze/services"
	"github.com/thingsec/thingsec/internal/analyze/transport"
	"github.com/thingsec/thingsec/internal/analyze/update"
)

// The set names.
const (
	Components = "components"
	Secrets    = "secrets"
	Hardening  = "hardening"
	Surface    = "surface"
	Default    = "default"
)

// Options are the user's settings that analyzers are built with.
type Options struct {
	// RuleDirs are directories of extra secret rules (YAML).
	RuleDirs []string
	// GitleaksConfigs are gitleaks TOML configurations loaded as extra
	// secret rule packs.
	GitleaksConfigs []string
	// ShowSecrets keeps secrets and cracked passwords in the evidence.
	ShowSecrets bool
	// CrackBudget bounds the default-password cracking per hash
	// (accounts.DefaultCrackBudget when zero).
	CrackBudget time.Duration
	// Verify asks the providers whether found tokens are live.
	Verify bool
	// GitleaksIgnore are .gitleaksignore files whose fingerprints drop
	// the gitleaks configurations' findings.
	GitleaksIgnore []string
}

// Set is what the engine runs: the per-file analyzers, the component
// consolidation stage and the whole-tree analyzers.
type Set struct {
	Files      []plugin.FileAnalyzer
	Components plugin.Consolidator
	Trees      []plugin.TreeAnalyzer
}

var table = []struct {
	name  string
	about string
	build func(*builder) Set
}{
	{Components, "components: package databases, OS release files, binary fingerprints, Go build info, manifests and lock files, runtime layouts", components},
	{Secrets, "secrets: token and password rules, account files, private keys and certificates", secretSet},
	{Hardening, "hardening: exploit mitigations of every ELF file and the kernel's configuration", hardeningSet},
	{Surface, "attack surface: services the init systems start, insecure configuration, web CGI, the update path, stored personal data and file permissions", surfaceSet},
	{Default, "everything: the components, secrets, hardening and attack-surface analyzers", all},
}

func components(b *builder) Set {
	return Set{
		Files: []plugin.FileAnalyzer{
			pkgdb.New(),
			binver.MustNew(),
			gobin.New(),
			lockfile.New(),
			runtimes.New(),
		},
		Components: inventory.New(),
	}
}

func secretSet(b *builder) Set {
	keys := crypto.New(crypto.Options{})
	return Set{
		Files: []plugin.FileAnalyzer{
			b.secrets(),
			b.accounts(),
			keys,
		},
		Trees: []plugin.TreeAnalyzer{
			keys,
		},
	}
}

func hardeningSet(b *builder) Set {
	return Set{
		Files: []plugin.FileAnalyzer{
			elfsec.MustNew(),
		},
		Trees: []plugin.TreeAnalyzer{
			elfsec.MustNewKernelTree(),
		},
	}
}

// surfaceSet reads how the device is configured and what it starts. The
// service graph comes first among the tree analyzers: the others read
// the services it adds to the report.
func surfaceSet(b *builder) Set {
	conf := confrules.MustNew()
	return Set{
		Files: []plugin.FileAnalyzer{
			conf,
			cgi.New(),
			update.New(),
			transport.New(),
			privdata.New(),
		},
		Trees: []plugin.TreeAnalyzer{
			services.MustNew(),
			conf,
			perms.New(),
		},
	}
}

// all is every other set, in order: what scan runs.
func all(b *builder) Set {
	return join(components(b), secretSet(b), hardeningSet(b), surfaceSet(b))
}

// join concatenates sets; the first component stage wins.
func join(sets ...Set) Set {
	var s Set
	for _, x := range sets {
		s.Files = append(s.Files, x.Files...)
		s.Trees = append(s.Trees, x.Trees...)
		if s.Components == nil {
			s.Components = x.Components
		}
	}
	return s
}

// Names lists the set names.
func Names() []string {
	var names []string
	for _, s := range table {
		names = append(names, s.name)
	}
	return names
}

// About says in one line what a set runs.
func About(name string) string {
	for _, s := range table {
		if s.name == name {
			return s.about
		}
	}
	return ""
}

// Build makes the analyzers of the set called name. An *OptionError means
// a user-supplied rule pack could not be used.
func Build(name string, opt Options) (Set, error) {
	for _, s := range table {
		if s.name == name {
			b := &builder{opt: opt}
			set := s.build(b)
			if b.err != nil {
				return Set{}, b.err
			}
			return set, nil
		}
	}
	return Set{}, fmt.Errorf("no analyzer set %q (sets: %v)", name, Names())
}

// OptionError is a user-supplied setting (a rule pack) that cannot be used.
type OptionError struct {
	Option string // "--rules DIR", "--gitleaks-config FILE"
	Err    error
}

func (e *OptionError) Error() string {
	if e.Option == "" {
		return e.Err.Error()
	}
	return e.Option + ": " + e.Err.Error()
}
func (e *OptionError) Unwrap() error { return e.Err }

// builder constructs the analyzers that take options, keeping the first
// error so that each set stays a plain list.
type builder struct {
	opt Options
	err error
}

func (b *builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// secrets is the secret-rule analyzer with the embedded rules and the
// user's packs.
func (b *builder) secrets() *secrets.Analyzer {
	var extra []*secrets.Rule
	for _, dir := range b.opt.RuleDirs {
		rs, err := secrets.LoadDir(os.DirFS(dir), ".")
		if err != nil {
			b.fail(&OptionError{Option: "--rules " + dir, Err: err})
			return nil
		}
		extra = append(extra, rs...)
	}
	for _, file := range b.opt.GitleaksConfigs {
		rs, err := secrets.LoadGitleaks(file)
		if err != nil {
			b.fail(&OptionError{Option: "--gitleaks-config " + file, Err: err})
			return nil
		}
		extra = append(extra, rs...)
	}
	opt := secrets.Options{ShowSecrets: b.opt.ShowSecrets, Extra: extra}
	if len(b.opt.GitleaksIgnore) > 0 {
		ig, err := secrets.LoadGitleaksIgnore(b.opt.GitleaksIgnore...)
		if err != nil {
			b.fail(&OptionError{Option: "--gitleaks-config", Err: err})
			return nil
		}
		opt.GitleaksIgnore = ig
	}
	if b.opt.Verify {
		opt.Verify = verify.New()
	}
	a, err := secrets.New(opt)
	if err != nil {
		b.fail(&OptionError{Err: err})
	}
	return a
}

// accounts is the account-file analyzer (default and weak passwords).
func (b *builder) accounts() *accounts.Analyzer {
	a, err := accounts.New(accounts.Options{ShowSecrets: b.opt.ShowSecrets, Budget: b.opt.CrackBudget})
	if err != nil {
		b.fail(err)
	}
	return a
}
