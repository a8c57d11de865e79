// checkseccmp compares the binary verdicts of thingsec reports with
// checksec --output=csv lines for the same tree (scripts/bench checksec).
//
//	checkseccmp -list REPORT=DIR...       print the ELF files of the reports (absolute paths)
//	checkseccmp -csv FILE REPORT=DIR...   compare; exit 1 on a difference
//	checkseccmp -scan DIR...              the hardening analyzer alone over every ELF
//	                                      file of DIR, one worker per CPU, printing
//	                                      checksec-style CSV (its speed without the
//	                                      rest of a scan)
//
// Each report is of a directory scan of DIR (its paths are in-tree).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/thingsec/thingsec/internal/analyze/elfsec"
	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

func main() {
	list := flag.Bool("list", false, "print the absolute paths of the ELF files of the reports")
	csvFile := flag.String("csv", "", "checksec --output=csv lines to compare with")
	scan := flag.Bool("scan", false, "run the hardening analyzer alone over the directories")
	flag.Parse()
	if *scan {
		scanDirs(flag.Args())
		return
	}
	ours := map[string]string{}
	for _, arg := range flag.Args() {
		r, dir, ok := strings.Cut(arg, "=")
		if !ok {
			fmt.Fprintln(os.Stderr, "argument is not REPORT=DIR:", arg)
			os.Exit(2)
		}
		if err := load(r, dir, ours); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	if *list {
		var ps []string
		for p := range ours {
			ps = append(ps, p)
		}
		sort.Strings(ps)
		for _, p := range ps {
			fmt.Println(p)
		}
		return
	}
	if *csvFile == "" {
		fmt.Fprintln(os.Stderr, "usage: checkseccmp -list REPORT=DIR... | -csv FILE REPORT=DIR...")
		os.Exit(2)
	}
	f, err := os.Open(*csvFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	same, diff, missing := 0, 0, 0
	for sc.Scan() {
		rec, err := csv.NewReader(strings.NewReader(sc.Text())).Read()
		if err != nil || len(rec) < 11 {
			continue
		}
		p := strings.Join(rec[10:], ",")
		want := strings.Join(rec[:10], ",")
		got, ok := ours[p]
		switch {
		case !ok:
			missing++
			fmt.Printf("not in the report: %s\n", p)
		case got == want:
			same++
		default:
			diff++
			fmt.Printf("differs: %s\n  checksec %s\n  thingsec %s\n", p, want, got)
		}
	}
	fmt.Printf("verdicts: %d ELF files, %d identical, %d differ, %d not in the report\n", same+diff+missing, same, diff, missing)
	if diff+missing > 0 {
		os.Exit(1)
	}
}

// load reads a report and renders each ELF binary's verdicts as
// checksec's CSV columns, keyed by absolute path.
func load(path, dir string, out map[string]string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var rep model.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for _, x := range rep.Binaries {
		if x.Kernel != nil || x.Layer != "L0" {
			continue
		}
		out[filepath.Join(root, x.Path)] = words(x)
	}
	return nil
}

func words(x model.Binary) string {
	v := []string{
		map[string]string{"none": "No RELRO", "partial": "Partial RELRO", "full": "Full RELRO"}[x.RELRO],
		pick(x.Canary, "Canary found", "No Canary found"),
		pick(x.NX, "NX enabled", "NX disabled"),
		map[string]string{"yes": "PIE enabled", "no": "No PIE", "dso": "DSO", "rel": "REL"}[x.PIE],
		pick(len(x.RPath) > 0, "RPATH", "No RPATH"),
		pick(len(x.RunPath) > 0, "RUNPATH", "No RUNPATH"),
		pick(!x.Stripped, "Symbols", "No Symbols"),
		pick(x.Fortify, "Yes", "No"),
		fmt.Sprint(x.Fortified),
		fmt.Sprint(x.Fortifiable),
	}
	return strings.Join(v, ",")
}

func pick(b bool, y, n string) string {
	if b {
		return y
	}
	return n
}

// scanDirs runs the elfsec analyzer over every regular ELF file of dirs.
func scanDirs(dirs []string) {
	a := elfsec.MustNew()
	var files []string
	for _, d := range dirs {
		filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err == nil && e.Type().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
	}
	ch := make(chan string)
	var mu sync.Mutex
	var wg sync.WaitGroup
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for i := 0; i < runtime.NumCPU(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range ch {
				data, err := os.ReadFile(p)
				if err != nil || len(data) < 4 || string(data[:4]) != "\x7fELF" {
					continue
				}
				head := data[:min(len(data), filetype.HeadSize)]
				in := &plugin.Input{FileInfo: plugin.FileInfo{Path: p, Size: int64(len(data)), Type: filetype.Detect(p, head, int64(len(data))), Head: head},
					Data: data, R: bytes.NewReader(data)}
				var out plugin.Results
				a.Analyze(context.Background(), in, &out)
				mu.Lock()
				for _, b := range out.Binaries {
					fmt.Fprintf(w, "%s,%s\n", words(b), p)
				}
				mu.Unlock()
			}
		}()
	}
	for _, f := range files {
		ch <- f
	}
	close(ch)
	wg.Wait()
}
