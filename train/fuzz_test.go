package train

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/statmech"
)

// fuzzTrainer returns a small trainer of the Ising model at L = 4: the default
// objective, or gumbel-rkl when gumbel is set.
func fuzzTrainer(tb testing.TB, gumbel bool) *Trainer {
	tb.Helper()
	w, err := statmech.Ising(0.44)
	if err != nil {
		tb.Fatal(err)
	}
	sys, err := statmech.NewSystem(w, 4, statmech.Periodic)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := Config{Hidden: []int{3}, Steps: 20, Batch: 8, Seed: 3, EstimateSamples: 32, EstimateDraws: 32}
	if gumbel {
		cfg.Objective = ObjectiveGumbelRKL
	}
	tr, err := New(sys, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return tr
}

// encodedCheckpoint returns the trainer's checkpoint, encoded deterministically.
func encodedCheckpoint(tb testing.TB, tr *Trainer) []byte {
	tb.Helper()
	cp, err := tr.Checkpoint()
	if err != nil {
		tb.Fatal(err)
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(cp)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// FuzzRestore decodes random bytes as a Checkpoint and restores it into a trainer, as a
// worker does with the checkpoint a lease hands it. A checkpoint that does not fit must
// be refused with ErrCheckpoint and change nothing; one that fits must train on and
// estimate without a panic (numerical errors are fine). Run with
//
//	go test -run '^$' -fuzz FuzzRestore -fuzztime 5m ./train
func FuzzRestore(f *testing.F) {
	for _, gumbel := range []bool{false, true} {
		tr := fuzzTrainer(f, gumbel)
		f.Add(gumbel, encodedCheckpoint(f, tr))
		for range 5 {
			if _, err := tr.TrainStep(); err != nil {
				f.Fatal(err)
			}
		}
		f.Add(gumbel, encodedCheckpoint(f, tr))
	}
	f.Add(false, []byte{})
	f.Fuzz(func(t *testing.T, gumbel bool, data []byte) {
		cp := new(critsweepv1.Checkpoint)
		if err := proto.Unmarshal(data, cp); err != nil {
			return
		}
		tr := fuzzTrainer(t, gumbel)
		before := encodedCheckpoint(t, tr)
		if err := tr.Restore(cp); err != nil {
			if !errors.Is(err, ErrCheckpoint) {
				t.Fatalf("Restore error does not wrap ErrCheckpoint: %v", err)
			}
			if after := encodedCheckpoint(t, tr); !bytes.Equal(before, after) {
				t.Fatalf("a refused Restore (%v) changed the trainer", err)
			}
			return
		}
		if tr.Step() != int(cp.GetStep()) {
			t.Fatalf("restored at step %d, checkpoint says %d", tr.Step(), cp.GetStep())
		}
		for i := 0; i < 3 && !tr.Done(); i++ {
			if _, err := tr.TrainStep(); err != nil {
				return
			}
		}
		_, _ = tr.Estimate(0)
	})
}

// TestFuzzRestoreSeedCorpusExists keeps the committed regression inputs of FuzzRestore
// from being dropped unnoticed.
func TestFuzzRestoreSeedCorpusExists(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", "FuzzRestore"))
	if err != nil || len(entries) == 0 {
		t.Errorf("testdata/fuzz/FuzzRestore: no committed seed corpus (%v)", err)
	}
}
