package analysis

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/critsweep/critsweep/spec"
)

// Params are the parameters of a slice of a sweep: every axis other than β, L and the
// seam — τ and the model's second couplings (spec.ParamQ, spec.ParamCouplingRatio,
// spec.ParamFourSpin, spec.ParamTau) — at their effective values, in spec's order
// (spec.SliceParams). They encode to JSON as one object, {"coupling_ratio": 0.5, "tau": 0}.
type Params []spec.Param

// Get returns the value of the parameter name, and whether there is one.
func (p Params) Get(name string) (float64, bool) {
	for _, x := range p {
		if x.Name == name {
			return x.Value, true
		}
	}
	return 0, false
}

// String writes the parameters as "coupling_ratio = 0.5, τ = 0".
func (p Params) String() string {
	parts := make([]string, len(p))
	for i, x := range p {
		parts[i] = ParamSymbol(x.Name) + " = " + strconv.FormatFloat(x.Value, 'g', -1, 64)
	}
	return strings.Join(parts, ", ")
}

// Slug is the parameters as a file-name-safe folder name, "coupling_ratio-0.5_tau-0".
func (p Params) Slug() string {
	parts := make([]string, len(p))
	for i, x := range p {
		parts[i] = x.Name + "-" + strconv.FormatFloat(x.Value, 'g', -1, 64)
	}
	return strings.Join(parts, "_")
}

// MarshalJSON writes the parameters as one object, in their order.
func (p Params) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, x := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(x.Name)
		v, err := json.Marshal(x.Value)
		if err != nil {
			return nil, fmt.Errorf("analysis: parameter %s: %w", x.Name, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads the object MarshalJSON writes, keeping its order.
func (p *Params) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("analysis: parameters must be a JSON object")
	}
	var out Params
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("analysis: parameters: %w", err)
		}
		name, _ := t.(string)
		var v float64
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("analysis: parameter %s: %w", name, err)
		}
		out = append(out, spec.Param{Name: name, Value: v})
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("analysis: parameters: %w", err)
	}
	*p = out
	return nil
}

// ParamSymbol is the symbol of a parameter in tables and plots: τ, q, J_y/J_x, U.
func ParamSymbol(name string) string {
	switch name {
	case spec.ParamTau:
		return "τ"
	case spec.ParamQ:
		return "q"
	case spec.ParamCouplingRatio:
		return "J_y/J_x"
	case spec.ParamFourSpin:
		return "U"
	}
	return name
}

// paramLabel is the axis label of a parameter, with what it means and its unit.
func paramLabel(name string) string {
	switch name {
	case spec.ParamTau:
		return "τ   (Gumbel-softmax temperature of gumbel-rkl)"
	case spec.ParamQ:
		return "q   (states per site)"
	case spec.ParamCouplingRatio:
		return "J_y/J_x   (coupling between rows / coupling within a row)"
	case spec.ParamFourSpin:
		return "U/J   (four-spin coupling / two-spin coupling)"
	}
	return name
}

// key identifies the parameters of a slice, each value rounded like a grid coordinate.
func (p Params) key() string {
	var b strings.Builder
	for _, x := range p {
		fmt.Fprintf(&b, "%s=%d;", x.Name, key(x.Value))
	}
	return b.String()
}

// compareParams orders parameter lists value by value (names first), then by length.
func compareParams(a, b Params) int {
	for i := range min(len(a), len(b)) {
		if c := cmp.Or(cmp.Compare(a[i].Name, b[i].Name), cmp.Compare(a[i].Value, b[i].Value)); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}
