package proctest

import (
	"testing"
	"time"
)

func TestProc(t *testing.T) {
	p := Start(t, "sh", "sh", "-c", `echo out; echo '{"msg":"ready","addr":"a:1"}' >&2; echo plain >&2; exit 3`)
	if code := p.Wait(t, 10*time.Second); code != 3 || p.Code() != 3 {
		t.Errorf("exit code %d, %d; want 3", code, p.Code())
	}
	if !p.Exited() {
		t.Error("Exited() is false after Wait")
	}
	if recs := p.LogRecords("ready"); len(recs) != 1 || recs[0]["addr"] != "a:1" {
		t.Errorf("LogRecords(ready) = %v", recs)
	}
	if got := p.Tail(1); got != "plain" {
		t.Errorf("Tail(1) = %q, want plain", got)
	}
	if got := p.Stdout(); got != "out\n" {
		t.Errorf("Stdout() = %q", got)
	}

	long := Start(t, "sleep", "sleep", "60")
	if long.Exited() {
		t.Fatal("sleep 60 exited at once")
	}
	if code := long.Stop(t); code != -1 {
		t.Errorf("exit code after SIGTERM = %d, want -1 (ended by a signal)", code)
	}
}
