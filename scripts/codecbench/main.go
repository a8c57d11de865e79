// Command codecbench decodes one input the way thingsec does, for
// scripts/bench-xz.sh to time against the reference tools:
//
//	codecbench -xz FILE            decode an .xz stream to stdout
//	codecbench -squashfs IMG -d DIR extract a squashfs image into DIR
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/squashfs"
)

func main() {
	xzFile := flag.String("xz", "", "xz stream to decode to stdout")
	sqfs := flag.String("squashfs", "", "squashfs image to extract")
	dir := flag.String("d", "", "directory to extract into")
	prof := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			fmt.Fprintln(os.Stderr, "codecbench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var err error
	switch {
	case *xzFile != "":
		err = decodeXZ(*xzFile)
	case *sqfs != "" && *dir != "":
		err = extract(*sqfs, *dir)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "codecbench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func decodeXZ(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	rd, err := decomp.NewReader(decomp.XZ, f)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	if _, err := io.Copy(w, rd); err != nil {
		return err
	}
	return w.Flush()
}

// dirSink writes regular files and directories under a root.
type dirSink struct {
	root     *os.Root
	problems int
}

func (s *dirSink) Add(e format.Entry, r io.Reader) error {
	p := filepath.Clean("/" + e.Path)[1:]
	if p == "" {
		return nil
	}
	switch {
	case e.Mode.IsDir():
		return s.root.MkdirAll(p, 0o755)
	case e.Mode.IsRegular() && r != nil:
		if err := s.root.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		f, err := s.root.Create(p)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return nil
}

func (s *dirSink) Problem(path string, err error) {
	s.problems++
	fmt.Fprintf(os.Stderr, "problem: %s: %v\n", path, err)
}

func extract(img, dir string) error {
	f, err := os.Open(img)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	s := &dirSink{root: root}
	if err := squashfs.New().Extract(context.Background(), f, st.Size(), s); err != nil {
		return err
	}
	if s.problems > 0 {
		return fmt.Errorf("%d problems", s.problems)
	}
	return nil
}
