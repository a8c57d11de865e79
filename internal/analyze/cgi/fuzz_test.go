package cgi

import (
	"strings"
	"testing"
)

// FuzzAnalyze feeds arbitrary scripts to the taint pass of each language:
// it must not panic, and every flow it reports ends at a line of the
// input and starts at a request source.
func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{
		"local q = os.getenv(\"QUERY_STRING\")\nos.execute(\"ping \" .. q)\n",
		"local a = luci.http.formvalue(\"x\")\nlocal c = string.format(\"ping %s\",\n a)\nio.popen(c)\n",
		"<?php $t = $_GET['t']; system(\"ping \" . $t); `ls $t`; ?>",
		"#!/bin/sh\nread -n $CONTENT_LENGTH P\nh=${P#h=}\neval \"x $h\"\nping -c1 $FORM_host\n",
		"#!/usr/bin/haserl\n<% ping $GET_host %>\n",
		"x = (((((\n", "os.execute(", "`", "$((((", "eval", "\"\\", "a = b or c and (d == e)",
	} {
		for _, l := range []string{"lua", "php", "sh"} {
			f.Add(l, []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, lang string, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		n := strings.Count(string(data), "\n") + 1
		for _, fl := range Analyze(lang, data) {
			if len(fl.Steps) == 0 || fl.Source == "" {
				t.Fatalf("flow without steps or source: %+v", fl)
			}
			if last := fl.Steps[len(fl.Steps)-1]; last.Line < 1 || last.Line > n {
				t.Fatalf("sink line %d outside 1..%d", last.Line, n)
			}
			_ = fl.Trace()
		}
		_ = haserlShell(data)
	})
}
