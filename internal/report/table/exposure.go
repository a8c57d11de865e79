package table

import "github.com/thingsec/thingsec/internal/model"

// reachable maps the ref of every network-exposed component to the
// reason ("listens on udp/53 (started by /etc/init.d/dnsmasq:12)").
func reachable(rep *model.Report) map[string]string {
	m := map[string]string{}
	for _, c := range rep.Components {
		if c.Exposure != nil && c.Exposure.Level == "network" {
			m[c.Ref] = c.Exposure.Reason
		}
	}
	return m
}

func hasVulnPriority(rep *model.Report) bool {
	for _, v := range rep.Vulnerabilities {
		if v.Priority != nil {
			return true
		}
	}
	return false
}
