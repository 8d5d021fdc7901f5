package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// Parse parses a sweep spec written in YAML (JSON is YAML too) and validates it
// (Validate, with MaxTasks). The
// parse is strict: an unknown field, a duplicate key or a value of the wrong type is an
// error naming the field. Besides the proto's own shape it accepts the forms people write:
//
//	boundary: twisted                      # a single value for any list
//	grid:
//	  beta: [0.40, 0.42, 0.44]             # a list, or {from: 0.40, to: 0.48, step: 0.005}
//	  size: {from: 6, to: 12, step: 2}     # size, tau, q, coupling_ratio, four_spin: a
//	  coupling_ratio: [0.5, 1, 2]          # list, one value or a range
//	model: {kind: custom, bond_weight: [[2.0, 0.5], [0.5, 2.0]]}   # a q×q matrix
//
// Fields left out keep their zero values, which mean their defaults (see the package
// documentation). Errors wrap ErrInvalid; validation errors are an *Error.
func Parse(data []byte) (*critsweepv1.SweepSpec, error) {
	spec, err := decodeSpec(data)
	if err != nil {
		return nil, err
	}
	if err := Validate(spec, 0); err != nil {
		return nil, err
	}
	return spec, nil
}

// decodeSpec turns YAML into a SweepSpec without validating its values.
func decodeSpec(data []byte) (*critsweepv1.SweepSpec, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc any
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errorf("", "is empty")
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, Errorf("", "holds more than one YAML document")
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, Errorf("", "must be a mapping of fields (name, model, boundary, grid, network, training)")
	}
	if err := normalizeSpec(root); err != nil {
		return nil, err
	}
	spec := new(critsweepv1.SweepSpec)
	if err := checkFields(root, spec.ProtoReflect().Descriptor(), ""); err != nil {
		return nil, err
	}
	js, err := json.Marshal(jsonable(root))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := protojson.Unmarshal(js, spec); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, cleanProtojsonError(err))
	}
	return spec, nil
}

// normalizeSpec rewrites the shorthand forms Parse accepts into the proto's JSON shape.
func normalizeSpec(root map[string]any) error {
	if v, ok := root["boundary"]; ok {
		root["boundary"] = asList(v)
	}
	if m, ok := root["model"].(map[string]any); ok {
		if rows, ok := m["bond_weight"].([]any); ok {
			bw, err := matrixToBondWeight(rows)
			if err != nil {
				return err
			}
			m["bond_weight"] = bw
		}
	}
	if m, ok := root["network"].(map[string]any); ok {
		if v, ok := m["hidden"]; ok {
			m["hidden"] = asList(v)
		}
	}
	if grid, ok := root["grid"].(map[string]any); ok {
		if err := normalizeGrid(grid, "grid"); err != nil {
			return err
		}
	}
	return nil
}

// normalizeGrid rewrites a grid: beta as a list becomes {values}; size, tau and the
// model's axes (q, coupling_ratio, four_spin) as one value become a list, and as a range
// the list of its values.
func normalizeGrid(grid map[string]any, path string) error {
	if v, ok := grid["beta"]; ok {
		if _, isMap := v.(map[string]any); !isMap && v != nil {
			grid["beta"] = map[string]any{"values": asList(v)}
		}
	}
	for _, name := range []string{"size", "tau", ParamQ, ParamCouplingRatio, ParamFourSpin} {
		v, ok := grid[name]
		if !ok {
			continue
		}
		if m, isMap := v.(map[string]any); isMap {
			axis, err := rangeAxis(m, path+"."+name)
			if err != nil {
				return err
			}
			values, err := axisValues(axis, path+"."+name)
			if err != nil {
				return err
			}
			list := make([]any, len(values))
			for i, x := range values {
				list[i] = x
			}
			grid[name] = list
			continue
		}
		grid[name] = asList(v)
	}
	return nil
}

// rangeAxis reads {from, to, step} (nothing else) into an Axis.
func rangeAxis(m map[string]any, path string) (*critsweepv1.Axis, error) {
	axis := new(critsweepv1.Axis)
	for k, v := range m {
		x, ok := toFloat(v)
		if !ok {
			return nil, Errorf(path+"."+k, "must be a number, got %v", v)
		}
		switch k {
		case "from":
			axis.From = x
		case "to":
			axis.To = x
		case "step":
			axis.Step = x
		default:
			return nil, Errorf(path+"."+k, "unknown field (a range has from, to, step)")
		}
	}
	return axis, nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// matrixToBondWeight turns rows of a q×q matrix into the BondWeight JSON shape.
func matrixToBondWeight(rows []any) (map[string]any, error) {
	q := len(rows)
	values := make([]any, 0, q*q)
	for a, row := range rows {
		r, ok := row.([]any)
		if !ok || len(r) != q {
			return nil, Errorf(fmt.Sprintf("model.bond_weight[%d]", a),
				"must be a row of %d numbers: the bond weight is a square q×q matrix", q)
		}
		values = append(values, r...)
	}
	return map[string]any{"q": q, "values": values}, nil
}

// asList wraps a single value into a list; a list stays as it is.
func asList(v any) any {
	if _, ok := v.([]any); ok || v == nil {
		return v
	}
	return []any{v}
}

// checkFields reports the first field of m (at path) that the message md does not have,
// naming it with its full path and the fields md does have.
func checkFields(m map[string]any, md protoreflect.MessageDescriptor, path string) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fd := md.Fields().ByTextName(k)
		if fd == nil {
			fd = md.Fields().ByJSONName(k)
		}
		field := joinPath(path, k)
		if fd == nil {
			var known []string
			for i := 0; i < md.Fields().Len(); i++ {
				known = append(known, string(md.Fields().Get(i).Name()))
			}
			return Errorf(field, "unknown field (known here: %s)", strings.Join(known, ", "))
		}
		if fd.Kind() != protoreflect.MessageKind || fd.Message().FullName().Parent() != "critsweep.v1" {
			continue
		}
		switch v := m[k].(type) {
		case map[string]any:
			if fd.IsList() {
				continue // protojson reports the wrong type
			}
			if err := checkFields(v, fd.Message(), field); err != nil {
				return err
			}
		case []any:
			for i, e := range v {
				if em, ok := e.(map[string]any); ok {
					if err := checkFields(em, fd.Message(), fmt.Sprintf("%s[%d]", field, i)); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func joinPath(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// jsonable converts what the YAML decoder made into values encoding/json can encode the
// way protojson reads them: maps with string keys, and non-finite floats as the strings
// protojson accepts for them.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonable(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonable(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	case float64:
		switch {
		case math.IsNaN(x):
			return "NaN"
		case math.IsInf(x, 1):
			return "Infinity"
		case math.IsInf(x, -1):
			return "-Infinity"
		}
	}
	return v
}

var protojsonPosition = regexp.MustCompile(`^proto:\s*(\(line \d+:\d+\):\s*)?`)

// cleanProtojsonError drops the position in the intermediate JSON, which means nothing to
// the author of the YAML.
func cleanProtojsonError(err error) string {
	return protojsonPosition.ReplaceAllString(err.Error(), "")
}
