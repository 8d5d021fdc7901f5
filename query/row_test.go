package query

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

func TestValueFormats(t *testing.T) {
	for _, tt := range []struct {
		v    Value
		text string
		json string
	}{
		{realValue(0.44000000000000006), "0.44000000000000006", "0.44000000000000006"},
		{realValue(math.NaN()), "NaN", "null"},
		{realValue(math.Inf(1)), "+Inf", "null"},
		{intValue(math.MaxUint64), "18446744073709551615", "18446744073709551615"},
		{textValue("potts"), "potts", `"potts"`},
		{nullValue(Real), "", "null"},
	} {
		b, err := json.Marshal(tt.v.JSON())
		if tt.v.String() != tt.text || err != nil || string(b) != tt.json {
			t.Errorf("%+v: String %q, JSON %s (%v); want %q, %s", tt.v, tt.v.String(), b, err, tt.text, tt.json)
		}
	}
}

// TestLazyRowReadsResultOnlyWhenNeeded checks that a filter on the record's columns
// rejects a row without reading its result, and that a read error stops the match.
func TestLazyRowReadsResultOnlyWhenNeeded(t *testing.T) {
	task := &critsweepv1.Task{Ref: &critsweepv1.TaskRef{SweepId: "s-1", Index: 3},
		Spec: &critsweepv1.TaskSpec{Model: &critsweepv1.ModelSpec{Kind: "ising"}, Beta: 0.4, Size: 8}}
	reads := 0
	load := func() (*critsweepv1.Result, error) {
		reads++
		return &critsweepv1.Result{Binder: &critsweepv1.Estimate{Value: 0.6}}, nil
	}
	f, err := Parse("binder > 0.5 and size = 16")
	if err != nil {
		t.Fatal(err)
	}
	if f.Match(NewLazyRow("s", task, load, nil)) || reads != 0 {
		t.Errorf("a row of size 8: matched, or read its result %d times; want no match without reading", reads)
	}
	f, _ = Parse("size = 8 and binder > 0.5")
	if !f.Match(NewLazyRow("s", task, load, nil)) || reads != 1 {
		t.Errorf("matched a row of size 8 with binder 0.6 reading the result %d times, want once", reads)
	}
	broken := NewLazyRow("s", task, func() (*critsweepv1.Result, error) { return nil, errors.New("damaged") }, nil)
	if f.Match(broken) || broken.Err() == nil {
		t.Errorf("a row whose result cannot be read matched, or hid the error (%v)", broken.Err())
	}
}

func TestResolverAndMemo(t *testing.T) {
	spec := func(beta float64, seed uint64) *critsweepv1.TaskSpec {
		return &critsweepv1.TaskSpec{Model: &critsweepv1.ModelSpec{Kind: "ising"}, Beta: beta, Size: 8,
			Training: &critsweepv1.TrainingSpec{Seed: seed}}
	}
	calls := 0
	r := Memo(func(ts *critsweepv1.TaskSpec) (Settings, bool) {
		calls++
		return Settings{Q: 2, Batch: 256, Hidden: []int{32, 32}, LearningRate: 1e-3, Objective: "default"}, true
	})
	for i := range 10 {
		s, ok := r(spec(0.4+0.01*float64(i), uint64(i)))
		if !ok || s.Batch != 256 {
			t.Fatalf("memoised settings %+v, %v", s, ok)
		}
	}
	if calls != 1 {
		t.Errorf("10 tasks differing in β and seed called the resolver %d times, want 1", calls)
	}
	row := NewRow("s", &critsweepv1.TaskResult{Ref: &critsweepv1.TaskRef{SweepId: "s-1"}, Spec: spec(0.4, 1)}, r)
	batch, _ := Lookup("batch")
	hidden, _ := Lookup("hidden")
	if got := row.Value(batch).String(); got != "256" {
		t.Errorf("batch with a resolver = %s, want 256", got)
	}
	if got := row.Value(hidden).String(); got != "32,32" {
		t.Errorf("hidden with a resolver = %s, want 32,32", got)
	}
	stored := NewRow("s", &critsweepv1.TaskResult{Ref: &critsweepv1.TaskRef{SweepId: "s-1"}, Spec: spec(0.4, 1)}, nil)
	if got := stored.Value(batch).String(); got != "0" {
		t.Errorf("batch without a resolver = %s, want 0 (the spec's: train's default)", got)
	}
}

func TestLookup(t *testing.T) {
	for _, name := range []string{"size", "L", "SIZE", "params.size", "metrics.size", "Params.Size"} {
		if c, ok := Lookup(name); !ok || c.Name != "size" {
			t.Errorf("Lookup(%q) = %v, %v; want size", name, c, ok)
		}
	}
	if _, ok := Lookup("params."); ok {
		t.Error(`Lookup("params.") found a column`)
	}
	seen := map[string]bool{}
	for _, c := range Columns() {
		if seen[c.Name] || c.Doc == "" || c.Kind == 0 {
			t.Errorf("column %q: repeated, or without doc or kind", c.Name)
		}
		seen[c.Name] = true
	}
}

func TestParseColumns(t *testing.T) {
	cols, err := ParseColumns("sweep_id, L,binder_stderr")
	if err != nil || len(cols) != 3 || cols[0].Name != "sweep_id" || cols[1].Name != "size" || cols[2].Name != "binder_stderr" {
		t.Errorf("ParseColumns = %v, %v; want sweep_id, size, binder_stderr", cols, err)
	}
	for _, tt := range []struct {
		list string
		col  int
		msg  string
	}{
		{"beta, sise", 7, `unknown column "sise" (did you mean "size"?)`},
		{"", 1, "no column named"},
		{"beta binder", 6, "expected , between column names"},
		{"beta,", 6, "expected a column name"},
	} {
		_, err := ParseColumns(tt.list)
		var qe *Error
		if !errors.As(err, &qe) || qe.Column != tt.col || !strings.Contains(qe.Msg, tt.msg) {
			t.Errorf("ParseColumns(%q) = %v, want column %d saying %q", tt.list, err, tt.col, tt.msg)
		}
	}
}

// TestSettingsKeyCoversTheSpec sets each field of a task spec in turn (walking the
// message, so that a field added later is covered) and checks that the key of Memo tells
// it apart, except β, boundary and the seed, on which no default depends.
func TestSettingsKeyCoversTheSpec(t *testing.T) {
	ignored := map[string]bool{"critsweep.v1.TaskSpec.beta": true, "critsweep.v1.TaskSpec.boundary": true, "critsweep.v1.TrainingSpec.seed": true}
	base := settingsKey(&critsweepv1.TaskSpec{})
	leaves := 0
	var walk func(md protoreflect.MessageDescriptor, path []protoreflect.FieldDescriptor)
	walk = func(md protoreflect.MessageDescriptor, path []protoreflect.FieldDescriptor) {
		fields := md.Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			if fd.Kind() == protoreflect.MessageKind && !fd.IsList() {
				walk(fd.Message(), append(slices.Clone(path), fd))
				continue
			}
			ts := &critsweepv1.TaskSpec{}
			m := ts.ProtoReflect()
			for _, p := range path {
				m = m.Mutable(p).Message()
			}
			switch {
			case fd.IsList() && fd.Kind() == protoreflect.DoubleKind:
				m.Mutable(fd).List().Append(protoreflect.ValueOfFloat64(2.5))
			case fd.IsList() && fd.Kind() == protoreflect.Uint32Kind:
				m.Mutable(fd).List().Append(protoreflect.ValueOfUint32(7))
			case fd.IsList():
				t.Fatalf("list field %s of kind %v: the test does not know how to set it", fd.FullName(), fd.Kind())
			case fd.Kind() == protoreflect.StringKind:
				m.Set(fd, protoreflect.ValueOfString("x"))
			case fd.Kind() == protoreflect.DoubleKind:
				m.Set(fd, protoreflect.ValueOfFloat64(0.5))
			case fd.Kind() == protoreflect.Uint32Kind:
				m.Set(fd, protoreflect.ValueOfUint32(3))
			case fd.Kind() == protoreflect.Uint64Kind:
				m.Set(fd, protoreflect.ValueOfUint64(3))
			default:
				t.Fatalf("field %s of kind %v: the test does not know how to set it", fd.FullName(), fd.Kind())
			}
			leaves++
			got := settingsKey(ts)
			if ignored[string(fd.FullName())] {
				if got != base {
					t.Errorf("%s changes the settings key, but no default depends on it", fd.FullName())
				}
			} else if got == base {
				t.Errorf("%s does not change the settings key: tasks differing in it would share resolved settings", fd.FullName())
			}
		}
	}
	walk((&critsweepv1.TaskSpec{}).ProtoReflect().Descriptor(), nil)
	if leaves < 15 {
		t.Errorf("walked %d fields of TaskSpec, want every one", leaves)
	}
}
