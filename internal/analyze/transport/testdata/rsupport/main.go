// Command rsupport is a remote-support client in the shape of vendor
// ones: it opens an SSH connection to a relay with the device's host key
// and ignores the relay's host key. The transport tests build it.
package main

import (
	"log"
	"os"

	"golang.org/x/crypto/ssh"
)

func main() {
	key, err := os.ReadFile("/etc/ssh/ssh_host_ed25519_key")
	if err != nil {
		log.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		log.Fatal(err)
	}
	cfg := &ssh.ClientConfig{User: "gw", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: ssh.InsecureIgnoreHostKey()}
	if len(os.Args) > 1 && os.Args[1] == "-strict" {
		cfg.HostKeyCallback = ssh.FixedHostKey(signer.PublicKey())
	}
	c, err := ssh.Dial("tcp", "relay.vendor.example.net:2222", cfg)
	if err != nil {
		log.Fatal(err)
	}
	c.Close()
}
