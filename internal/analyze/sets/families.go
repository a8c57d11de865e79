package sets

// families are the catalog rule families (rules/findings/<family>.yaml,
// rules/secrets) whose rules the analyzers of each set run: what a report
// that lists the rules that ran (JUnit) lists. Keep it beside the set
// lists: an analyzer that reports a new family adds it here too.
var families = map[string][]string{
	Components: nil,
	Secrets:    {"credentials", "keys", "secrets"},
	Hardening:  {"hardening"},
	Surface:    {"services", "config", "cgi", "net", "tls", "update", "data", "perms"},
	Default:    {"cgi", "config", "credentials", "data", "hardening", "keys", "net", "perms", "secrets", "services", "tls", "update"},
}

// Families lists the catalog rule families the set called name runs.
func Families(name string) []string { return families[name] }
