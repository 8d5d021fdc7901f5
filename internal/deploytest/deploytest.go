// Package deploytest holds what the tests of deploy/ share: the module's root directory,
// and a parser that checks a critsweep command line (from a Kubernetes manifest, a
// systemd unit, a script) against the flags the commands really have, listed in
// cmd/critsweep/testdata/deploy-flags.txt. That list is kept in step with the command
// tree by cmd/critsweep's TestDeployFlagList, so the deploy tests need not build the
// binary to know its flags.
package deploytest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// FlagsFile is the flag list, relative to the module root.
const FlagsFile = "cmd/critsweep/testdata/deploy-flags.txt"

// Root returns the module's root: the nearest directory above the working directory
// that holds go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Flags are the flags of the critsweep commands: command → flag as written on the
// command line ("--db", "-h") → its type ("string", "bool", "duration", "int",
// "uint32").
type Flags map[string]map[string]string

// LoadFlags reads FlagsFile.
func LoadFlags() (Flags, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(root, FlagsFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	flags := Flags{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 3 || !strings.HasPrefix(fields[1], "-") {
			return nil, fmt.Errorf("%s:%d: want COMMAND FLAG TYPE, got %q", FlagsFile, n, line)
		}
		if flags[fields[0]] == nil {
			flags[fields[0]] = map[string]string{}
		}
		flags[fields[0]][fields[1]] = fields[2]
	}
	return flags, sc.Err()
}

// CommandLine is a parsed critsweep command line.
type CommandLine struct {
	Command string            // "coordinator", "worker", …
	Flags   map[string]string // long or short flag as written ("--db") → value ("true" for a bare bool)
	Args    []string          // positional arguments
}

// Parse checks args (the arguments after the binary: the command first) against the
// flags: the command must exist, every flag must be one of its flags, typed values must
// parse (durations, integers, booleans), and no flag may be given twice.
func (fl Flags) Parse(args []string) (*CommandLine, error) {
	if len(args) == 0 {
		return nil, errors.New("no command")
	}
	known, ok := fl[args[0]]
	if !ok {
		return nil, fmt.Errorf("critsweep has no command %q (or it is not in %s)", args[0], FlagsFile)
	}
	cl := &CommandLine{Command: args[0], Flags: map[string]string{}}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			cl.Args = append(cl.Args, a)
			continue
		}
		if a == "--" {
			cl.Args = append(cl.Args, args[i+1:]...)
			break
		}
		name, value, hasValue := strings.Cut(a, "=")
		typ, ok := known[name]
		if !ok {
			return nil, fmt.Errorf("critsweep %s has no flag %s", cl.Command, name)
		}
		if _, dup := cl.Flags[name]; dup {
			return nil, fmt.Errorf("critsweep %s: %s given twice", cl.Command, name)
		}
		switch {
		case hasValue:
		case typ == "bool":
			value = "true"
		case i+1 < len(args):
			i++
			value = args[i]
		default:
			return nil, fmt.Errorf("critsweep %s: %s needs a value", cl.Command, name)
		}
		if err := checkValue(typ, value); err != nil {
			return nil, fmt.Errorf("critsweep %s: %s %q: %w", cl.Command, name, value, err)
		}
		cl.Flags[name] = value
	}
	return cl, nil
}

// checkValue reports whether value parses as a flag of type typ.
func checkValue(typ, value string) error {
	var err error
	switch typ {
	case "bool":
		_, err = strconv.ParseBool(value)
	case "duration":
		_, err = time.ParseDuration(value)
	case "int":
		_, err = strconv.Atoi(value)
	case "uint32":
		_, err = strconv.ParseUint(value, 10, 32)
	}
	return err
}
