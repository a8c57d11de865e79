package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/thingsec/thingsec/internal/analyze/sets"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/exposure"
	"github.com/thingsec/thingsec/internal/memguard"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report"
	"github.com/thingsec/thingsec/internal/report/table"
	"github.com/thingsec/thingsec/internal/unpack"
	"github.com/thingsec/thingsec/internal/unpack/dirlist"
	"github.com/thingsec/thingsec/internal/vuln/enrich"
)

// unpackFlags are the extraction settings shared by every command that
// unpacks: each limit of unpack.Limits is a flag, so none is hidden.
type unpackFlags struct {
	noUnpack    bool
	keep        string
	maxDepth    int
	layerBytes  int64
	totalBytes  int64
	ratio       float64
	files       int
	layerFiles  int
	layers      int
	targetBytes int64
	memory      int64
	timeout     time.Duration
}

func (u *unpackFlags) register(fs *pflag.FlagSet, keep bool) {
	d := unpack.DefaultLimits()
	if keep {
		fs.StringVar(&u.keep, "keep-extracted", "", "extract into DIR (new or empty) and keep it, instead of a temporary directory")
		fs.BoolVar(&u.noUnpack, "no-unpack", false, "analyse the target as it is, without carving or extracting embedded formats")
	}
	fs.IntVar(&u.maxDepth, "max-depth", d.MaxDepth, "maximum nesting of unpacked layers")
	fs.Int64Var(&u.layerBytes, "max-layer-bytes", d.MaxLayerBytes, "maximum bytes one layer may write")
	fs.Int64Var(&u.totalBytes, "max-total-bytes", d.MaxTotalBytes, "maximum bytes the whole extraction may write")
	fs.Float64Var(&u.ratio, "max-ratio", d.MaxRatio, "maximum expansion (bytes written / input bytes) of a layer past its first 64 MiB, and of the whole extraction past 256 MiB")
	fs.IntVar(&u.files, "max-files", d.MaxTotalFiles, "maximum files the whole extraction may create")
	fs.IntVar(&u.layerFiles, "max-layer-files", d.MaxLayerFiles, "maximum entries one layer may create (more are listed as a problem, not extracted)")
	fs.IntVar(&u.layers, "max-layers", d.MaxLayers, "maximum layers of the whole extraction (when more are found, the largest are kept)")
	fs.Int64Var(&u.targetBytes, "max-target-bytes", d.MaxTargetBytes, "read at most this many bytes of the target file (a sparse or device-sized file is read only up to it, with a problem)")
	fs.Int64Var(&u.memory, "max-memory", memguard.DefaultLimit, "memory budget in bytes (Go soft limit): near it, new layers are not extracted and large files are not held in memory, each listed as a problem")
	fs.DurationVar(&u.timeout, "layer-timeout", d.LayerTimeout, "maximum time to identify the formats in one file, and to extract one layer")
}

func (u *unpackFlags) limits() (unpack.Limits, error) {
	l := unpack.DefaultLimits()
	if u.maxDepth < 1 || u.layerBytes < 1 || u.totalBytes < 1 || u.ratio <= 1 || u.files < 1 || u.timeout <= 0 ||
		u.layerFiles < 1 || u.layers < 1 || u.targetBytes < 1 || u.memory < 64<<20 {
		return l, usageError{fmt.Errorf("limits must be positive (--max-ratio above 1, --max-memory at least 64 MiB)")}
	}
	l.MaxDepth, l.MaxLayerBytes, l.MaxTotalBytes, l.MaxRatio, l.MaxTotalFiles, l.LayerTimeout = u.maxDepth, u.layerBytes, u.totalBytes, u.ratio, u.files, u.timeout
	l.MaxLayerFiles = min(u.layerFiles, u.files)
	l.MaxLayers, l.MaxTargetBytes = u.layers, u.targetBytes
	return l, nil
}

// apply sets the limits and the memory budget of cfg.
func (u *unpackFlags) apply(cfg *engine.Config) error {
	lim, err := u.limits()
	if err != nil {
		return err
	}
	cfg.Limits, cfg.MaxMemory = lim, u.memory
	return nil
}

// vulnFlags select the vulnerability database a scan matches against,
// and what data it accepts, as an enrich.Policy. A configuration file
// feeds it through fromConfig, so that a flag given overrides the file.
type vulnFlags struct {
	off    bool
	policy enrich.Policy
}

func (v *vulnFlags) register(fs *pflag.FlagSet) {
	if v.policy.MaxAge == 0 {
		v.policy.MaxAge = enrich.DefaultMaxAge
	}
	fs.BoolVar(&v.off, "no-vuln", false, "do not match components against the vulnerability database")
	fs.StringVar(&v.policy.Path, "db-path", v.policy.Path, "vulnerability database (default $THINGSEC_DB or <user cache dir>/thingsec/vuln.db; the embedded sample when absent)")
	fs.DurationVar(&v.policy.MaxAge, "db-max-age", v.policy.MaxAge, "warn (on stderr, even with -q) when the vulnerability database is older than this")
	fs.BoolVar(&v.policy.RequireDB, "require-db", v.policy.RequireDB, "exit 2, before scanning, when there is no vulnerability database (only the embedded sample) or it is older than --db-max-age, never updated or empty (for CI)")
}

// fromConfig is the hook for a configuration file (or environment): its
// settings apply where the flag was not given on the command line.
func (v *vulnFlags) fromConfig(fs *pflag.FlagSet, c enrich.Policy) {
	if c.Path != "" && !fs.Changed("db-path") {
		v.policy.Path = c.Path
	}
	if c.MaxAge > 0 && !fs.Changed("db-max-age") {
		v.policy.MaxAge = c.MaxAge
	}
	if c.RequireDB && !fs.Changed("require-db") {
		v.policy.RequireDB = true
	}
}

// check refuses, before any work, data that --require-db does not accept.
func (v *vulnFlags) check(ctx context.Context) error {
	if v.off || !v.policy.RequireDB {
		return nil
	}
	d, _, _, err := enrich.Open(ctx, v.policy, time.Now())
	if err != nil {
		return usageError{err}
	}
	return d.Close()
}

// enrichers are vulnerability matching (unless --no-vuln) and then
// exposure and priority, which read the matches.
func (v *vulnFlags) enrichers(g *globals) []engine.Enricher {
	if v.off {
		return []engine.Enricher{exposure.Enricher{}}
	}
	return []engine.Enricher{&enrich.Vulns{Path: v.policy.Path, MaxAge: v.policy.MaxAge, RequireDB: v.policy.RequireDB, Warn: func(msg string) {
		// not progress: the results are incomplete, so -q does not hide it
		fmt.Fprintf(g.stderr, "thingsec: warning: %s\n", msg)
	}}, exposure.Enricher{}}
}

// settle records the data the report was matched against when there was
// none, warns when matching failed, and holds --require-db to the data
// actually used.
func (v *vulnFlags) settle(g *globals, rep *model.Report) error {
	if rep.Database == nil {
		// --no-vuln, or the database could not be opened or read
		rep.Database = &model.Database{Kind: model.DatabaseNone}
		if !v.off {
			why := "vulnerabilities were not matched: see the report's problems"
			prefix := (&enrich.Vulns{}).Name() + ": "
			for _, p := range rep.Problems {
				if p.Stage == "enrich" && strings.HasPrefix(p.Message, prefix) {
					why = strings.TrimPrefix(p.Message, prefix)
				}
			}
			fmt.Fprintf(g.stderr, "thingsec: warning: %s\n", why)
		}
	}
	if v.off || !v.policy.RequireDB || rep.Database.Kind == model.DatabaseFull {
		return nil
	}
	return usageError{fmt.Errorf("the scan matched against %s data, not a vulnerability database (--require-db)", rep.Database.Kind)}
}

func newScan(g *globals) *cobra.Command {
	var incompleteGate bool
	var uf unpackFlags
	var vf vulnFlags
	var sf secretsFlags
	var ff *outputsFlag
	var bf baselineFlags
	var gf gateFlags
	cmd := &cobra.Command{
		Use:   "scan TARGET",
		Short: "Unpack and analyse a firmware image or a directory tree",
		Long: `scan reads TARGET (a firmware image, any file, or a directory), unpacks every
embedded format it finds (recursively, within the limits), reads every file
once, and writes a report: the layer tree, the file inventory and everything
the analyzers found. Parts that cannot be read are listed as problems; the
rest is still analysed.

The JSON report follows schema/report.schema.json and can be read back by
other thingsec commands.

--fail-on, --fail-on-kev and the rules of the configuration file's policy:
section decide whether the run fails; .thingsec-ignore.yaml (--ignore-file)
holds accepted risks and --vex reads VEX statements. thingsec help policy
lists the variables a rule can use.

` + exitHelp,
		Example: `  thingsec scan firmware.bin
  thingsec scan --format json -o report.json firmware.bin
  thingsec scan --format cyclonedx -o sbom.cdx.json firmware.bin
  thingsec scan --format markdown firmware.bin >> "$GITHUB_STEP_SUMMARY"
  thingsec scan --format sarif=thingsec.sarif,junit=thingsec.junit.xml,json=- firmware.bin
  thingsec scan --baseline last-release.json --fail-on-new high firmware.bin
  thingsec scan --fail-on high --fail-on-kev --vex vendor.openvex.json firmware.bin
  thingsec scan --keep-extracted out/ --max-depth 4 firmware.bin
  thingsec scan ./rootfs`,
		Args: exactArgs(1, "exactly one TARGET (a file or a directory)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			listing := startListing(cmd.Context(), args[0])
			outs, err := ff.resolve(g)
			if err != nil {
				return err
			}
			if err := bf.load(); err != nil {
				return err
			}
			set, err := buildSet(sets.Default, sf.options())
			if err != nil {
				return err
			}
			if err := vf.check(cmd.Context()); err != nil {
				return err
			}
			plan, err := gf.prepare(g)
			if err != nil {
				return err
			}
			cfg := scanConfig(g, args[0], set)
			cfg.SkipDirs, cfg.Listing = dirlist.SourceSkips, listing
			cfg.Enrichers = vf.enrichers(g)
			rep, err := uf.scan(cmd.Context(), g, cfg)
			if err != nil {
				return err
			}
			dataErr := vf.settle(g, rep)
			plan.mark(g, rep)
			delta := bf.compare(rep)
			plan.opt.NewFinding, plan.opt.NewVuln = newness(delta)
			gates, err := plan.result(g, rep)
			if err != nil {
				return err
			}
			d := &report.Doc{Kind: report.Scan, Report: rep, Rules: ranRules(sets.Families(sets.Default)), Table: table.Options{ShowSecrets: sf.show}, Delta: delta}
			if incompleteGate {
				d.Gates = append(d.Gates, incompleteGateOf(rep))
			}
			if gates != nil {
				d.Gates = append(d.Gates, gates.Gates...)
			}
			if gt := failOnNewGate(bf.min, delta); gt != nil {
				d.Gates = append(d.Gates, *gt)
			}
			if err := ff.emit(g, outs, d); err != nil {
				return err
			}
			if dataErr != nil {
				return dataErr
			}
			if err := bf.gate(g, delta); err != nil {
				return err
			}
			if err := failOnIncomplete(incompleteGate, rep); err != nil {
				return err
			}
			return fail(gates)
		},
	}
	ff = addOutputs(cmd, report.Scan, "table")
	uf.register(cmd.Flags(), true)
	cmd.Flags().BoolVar(&incompleteGate, "fail-on-incomplete", false, "exit 1 when a file could not be extracted whole or an analyzer skipped one (the report says which and why)")
	vf.register(cmd.Flags())
	gf.register(cmd.Flags(), true, "")
	sf.registerRuleFlags(cmd.Flags())
	bf.register(cmd.Flags())
	cmd.Flags().StringVarP(&g.output, "output", "o", "", "write the report to FILE instead of standard output")
	addProfile(cmd)
	return cmd
}

// scan applies the unpack flags to cfg and runs it with a progress line.
func (u *unpackFlags) scan(ctx context.Context, g *globals, cfg engine.Config) (*model.Report, error) {
	if err := u.apply(&cfg); err != nil {
		return nil, err
	}
	cfg.Unpack = !u.noUnpack
	cfg.KeepExtracted = u.keep
	prog := newProgress(g)
	cfg.Progress = prog
	rep, err := engine.Scan(ctx, cfg)
	prog.done()
	return rep, err
}

// scanConfig is the engine configuration every scanning command starts
// from: the target, the common settings and an analyzer set.
func scanConfig(g *globals, target string, set sets.Set) engine.Config {
	return engine.Config{
		Target:     target,
		Version:    Version(),
		Log:        g.log,
		Workers:    g.workers,
		Unpack:     true,
		Files:      set.Files,
		Components: set.Components,
		Trees:      set.Trees,
	}
}

// incomplete counts what a report did not fully analyse: files whose
// content could not be extracted whole, and files an analyzer skipped.
func incomplete(rep *model.Report) (files, skipped int) {
	for _, f := range rep.Files {
		if f.Complete != nil && !*f.Complete {
			files++
		}
	}
	seen := map[string]bool{}
	for _, s := range rep.Skipped {
		k := s.Layer + ":" + s.Path
		if !seen[k] {
			seen[k] = true
			skipped++
		}
	}
	return files, skipped
}

// failOnIncomplete is the gate of --fail-on-incomplete.
func failOnIncomplete(on bool, rep *model.Report) error {
	if !on {
		return nil
	}
	files, skipped := incomplete(rep)
	if files+skipped == 0 {
		return nil
	}
	return exitError{code: ExitGate, msg: fmt.Sprintf("not fully analysed (--fail-on-incomplete): %d files extracted incompletely, %d files skipped by an analyzer; the report's files[].incomplete_reason and skipped[] say why", files, skipped)}
}
