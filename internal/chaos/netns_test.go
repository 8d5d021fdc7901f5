package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// netns is a network namespace joined to the root namespace by a veth pair, with a /30
// of its own: the root side holds .1, the namespace side .2. A worker started in it
// reaches the coordinator only over the pair, so taking the namespace's end down cuts it
// off (its connections stall, new ones fail) while everything else goes on.
type netns struct {
	name     string
	rootDev  string // the pair's end in the root namespace
	nsDev    string // the pair's end in the namespace
	rootAddr string // .1: the coordinator listens here
	nsAddr   string // .2
}

// setupNetns creates the namespace, the veth pair and the addresses, and registers
// their removal with t.Cleanup. It returns nil and why when network namespaces cannot
// be made here (not root, no ip) or CRITSWEEP_CHAOS_NETNS=off turns them off.
func setupNetns(t *testing.T) (*netns, string) {
	t.Helper()
	if os.Getenv("CRITSWEEP_CHAOS_NETNS") == "off" {
		return nil, "CRITSWEEP_CHAOS_NETNS=off"
	}
	if os.Geteuid() != 0 {
		return nil, "not root"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, "no ip command (iproute2)"
	}
	pid := os.Getpid()
	// 10.213.X.0/30 with X from the pid: a private /30 of this test's own, on a host
	// where nothing else routes 10.213/16.
	n := &netns{
		name:     fmt.Sprintf("critsweep-chaos-%d", pid),
		rootDev:  fmt.Sprintf("csc%da", pid%100000),
		nsDev:    fmt.Sprintf("csc%db", pid%100000),
		rootAddr: fmt.Sprintf("10.213.%d.1", pid%250),
		nsAddr:   fmt.Sprintf("10.213.%d.2", pid%250),
	}
	if out, err := exec.Command("ip", "netns", "add", n.name).CombinedOutput(); err != nil {
		return nil, fmt.Sprintf("ip netns add: %v: %s", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		exec.Command("ip", "link", "del", n.rootDev).Run()
		exec.Command("ip", "netns", "del", n.name).Run()
	})
	steps := [][]string{
		{"link", "add", n.rootDev, "type", "veth", "peer", "name", n.nsDev},
		{"link", "set", n.nsDev, "netns", n.name},
		{"addr", "add", n.rootAddr + "/30", "dev", n.rootDev},
		{"link", "set", n.rootDev, "up"},
		{"-n", n.name, "addr", "add", n.nsAddr + "/30", "dev", n.nsDev},
		{"-n", n.name, "link", "set", n.nsDev, "up"},
		{"-n", n.name, "link", "set", "lo", "up"},
	}
	for _, args := range steps {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return nil, fmt.Sprintf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return n, ""
}

// setLink takes the namespace's end of the pair up or down.
func (n *netns) setLink(up bool) error {
	state := "down"
	if up {
		state = "up"
	}
	if out, err := exec.Command("ip", "-n", n.name, "link", "set", n.nsDev, state).CombinedOutput(); err != nil {
		return fmt.Errorf("ip link set %s %s: %v: %s", n.nsDev, state, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// command returns the command line that runs name with args inside the namespace.
func (n *netns) command(name string, args ...string) (string, []string) {
	return "ip", append([]string{"netns", "exec", n.name, name}, args...)
}
