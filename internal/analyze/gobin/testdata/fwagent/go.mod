module example.com/fwagent

go 1.24.0

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/anchore/go-lzo v0.1.1
	github.com/ulikunitz/xz v0.5.17
)
