package deploytest

import (
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	flags, err := LoadFlags()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := flags.Parse([]string{"submit", "spec.yaml", "--coordinator=c:7878", "--token-file", "/t", "--json"})
	if err != nil {
		t.Fatal(err)
	}
	if cl.Command != "submit" || !slices.Equal(cl.Args, []string{"spec.yaml"}) ||
		cl.Flags["--coordinator"] != "c:7878" || cl.Flags["--token-file"] != "/t" || cl.Flags["--json"] != "true" {
		t.Errorf("Parse = %+v", cl)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "no command"},
		{[]string{"deploy"}, "no command"},
		{[]string{"worker", "--slot", "2"}, "no flag --slot"},
		{[]string{"worker", "--slots", "two"}, "--slots"},
		{[]string{"worker", "--heartbeat=5"}, "--heartbeat"},
		{[]string{"coordinator", "--max-attempts", "-1"}, "--max-attempts"},
		{[]string{"coordinator", "--db", "a", "--db=b"}, "twice"},
		{[]string{"coordinator", "--db"}, "needs a value"},
	} {
		if _, err := flags.Parse(tt.args); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want an error with %q", tt.args, err, tt.want)
		}
	}
}
