package exposure

import (
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

const (
	avNetwork = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
	avLocal   = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"
	avV2Net   = "AV:N/AC:L/Au:N/C:P/I:P/A:P"
)

func TestVulnPriority(t *testing.T) {
	net := &model.Exposure{Level: Network, Reason: "listens on udp/53 (started by /etc/init.d/S40dnsmasq:2)", Services: []string{"dnsmasq"}}
	local := &model.Exposure{Level: Local, Reason: "runs from cron (started by /etc/crontabs/root:3)"}
	unknown := &model.Exposure{Level: Unknown, Reason: "accepts connections (socket imports), listen address not derived"}
	kev := &model.KEV{}
	epss := func(s float64) *model.EPSS { return &model.EPSS{Score: s} }
	for _, c := range []struct {
		name   string
		sev    model.Severity
		vec    string
		kev    *model.KEV
		epss   *model.EPSS
		e      *model.Exposure
		want   model.Severity // "": no priority
		reason string         // one of the reasons
	}{
		{"nothing known: no priority", model.High, avNetwork, nil, nil, nil, "", ""},
		{"reachable raises one level", model.High, avNetwork, nil, nil, net, model.Critical, "reachable: listens on udp/53 (started by /etc/init.d/S40dnsmasq:2)"},
		{"reachable medium becomes high", model.Medium, avNetwork, nil, nil, net, model.High, "CVSS severity medium"},
		{"reachable critical stays critical", model.Critical, avNetwork, nil, nil, net, model.Critical, "reachable: "},
		{"reachable, CVSS v2 network vector", model.Low, avV2Net, nil, nil, net, model.Medium, "reachable: "},
		{"reachable, no vector at all", model.Medium, "", nil, nil, net, model.High, "reachable: "},
		{"reachable but local attack vector", model.High, avLocal, nil, nil, net, model.High, "not raised: the attack vector needs local access"},
		{"local only is not lowered", model.High, avNetwork, nil, nil, local, model.High, "not reachable from the network: runs from cron"},
		{"unknown exposure keeps it", model.Medium, avNetwork, nil, nil, unknown, model.Medium, "exposure unknown: accepts connections"},
		{"EPSS high without exposure raises, to at most high", model.Medium, avNetwork, nil, epss(0.42), nil, model.High, "EPSS 42.0% (at least 10%)"},
		{"EPSS high caps at high", model.High, avNetwork, nil, epss(0.42), local, model.High, "EPSS 42.0%"},
		{"EPSS high on critical stays critical", model.Critical, avNetwork, nil, epss(0.9), nil, model.Critical, "EPSS 90.0%"},
		{"EPSS low changes nothing", model.Medium, avNetwork, nil, epss(0.004), nil, model.Medium, "EPSS 0.4%"},
		{"EPSS and reachable raise once", model.Medium, avNetwork, nil, epss(0.5), net, model.High, "EPSS 50.0% (at least 10%)"},
		{"KEV and reachable: critical", model.Medium, avNetwork, kev, nil, net, model.Critical, "in CISA KEV (exploited in the wild) and reachable: critical"},
		{"KEV and reachable, even with a local vector", model.Low, avLocal, kev, nil, net, model.Critical, "in CISA KEV"},
		{"KEV alone: at least high", model.Medium, avNetwork, kev, nil, nil, model.High, "in CISA KEV (exploited in the wild): at least high"},
		{"KEV on a local component: at least high", model.Low, avNetwork, kev, nil, local, model.High, "not reachable from the network"},
		{"KEV keeps critical", model.Critical, avNetwork, kev, nil, local, model.Critical, "in CISA KEV"},
		{"no CVSS score starts at low", model.Unknown, "", nil, nil, net, model.Medium, "no CVSS score: starts at low"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := &model.Vulnerability{ID: "CVE-2024-0001", Severity: c.sev, KEV: c.kev, EPSS: c.epss}
			if c.vec != "" {
				v.CVSS = []model.CVSS{{Version: "3.1", Vector: c.vec}}
			}
			p := vulnPriority(v, c.e)
			if c.want == "" {
				if p != nil {
					t.Fatalf("priority %+v, want none", *p)
				}
				return
			}
			if p == nil {
				t.Fatalf("no priority, want %s", c.want)
			}
			if p.Level != c.want {
				t.Errorf("level %s, want %s (reasons %q)", p.Level, c.want, p.Reasons)
			}
			found := false
			for _, r := range p.Reasons {
				found = found || strings.Contains(r, c.reason)
			}
			if !found {
				t.Errorf("reasons %q lack %q", p.Reasons, c.reason)
			}
		})
	}
}

func TestFindingPriority(t *testing.T) {
	rep := router()
	rep.Services = []model.Service{
		svc("dnsmasq", "/usr/sbin/dnsmasq", "init.d", "/etc/init.d/S40dnsmasq", 2, model.Listen{Protocol: "udp", Port: 53}),
		svc("acme-upd", "/usr/sbin/acme-upd", "cron", "/etc/crontabs/root", 3),
	}
	f := func(rule, p string, sev model.Severity) model.Finding {
		return model.Finding{RuleID: rule, Severity: sev, Location: model.Location{Layer: "L2", Path: p}}
	}
	rep.Findings = []model.Finding{
		f("TS-HARD-001", "/usr/sbin/dnsmasq", model.Medium),             // hardening of a network daemon
		f("TS-KEY-001", "/usr/lib/libhogweed.so.6.6", model.High),       // a key in a library it loads
		f("TS-HARD-001", "/usr/sbin/acme-upd", model.Medium),            // cron only
		f("TS-CRED-001", "/usr/lib/opkg/status", model.Critical),        // package metadata is not run
		f("TS-KEY-021", "/usr/sbin/dnsmasq", model.Info),                // info stays info
		f("TS-SECRET-001", "/usr/lib/libnettle.so.8.6", model.Critical), // critical stays critical
	}
	Apply(rep)
	want := []model.Severity{model.High, model.Critical, "", "", "", model.Critical}
	for i, x := range rep.Findings {
		got := model.Severity("")
		if x.Priority != nil {
			got = x.Priority.Level
		}
		if got != want[i] {
			t.Errorf("%s %s: priority %q, want %q", x.RuleID, x.Location.Path, got, want[i])
		}
	}
	if r := rep.Findings[0].Priority.Reasons; len(r) != 2 || r[1] != "in dnsmasq 1, reachable: listens on udp/53 (started by /etc/init.d/S40dnsmasq:2)" {
		t.Errorf("reasons %q", r)
	}
}
