package model

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The binary encodings are little-endian: a 4-byte magic, a uint32 version,
// then the fields below. They carry everything needed to rebuild the value
// bit for bit.
const (
	modelMagic   = "CSWM"
	adamMagic    = "CSWA"
	encVersion   = 1
	maxEncodedNs = 1 << 31
)

// MarshalBinary encodes the model's shape, options and parameters (not the
// gradient).
func (m *Model) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 32+8*len(m.features)+8*len(m.params))
	b = append(b, modelMagic...)
	b = binary.LittleEndian.AppendUint32(b, encVersion)
	b = binary.LittleEndian.AppendUint64(b, uint64(m.units))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(m.features)))
	for _, f := range m.features {
		b = binary.LittleEndian.AppendUint64(b, uint64(f))
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(m.act))
	bias := uint64(0)
	if m.bias {
		bias = 1
	}
	b = binary.LittleEndian.AppendUint64(b, bias)
	return appendFloats(b, m.params), nil
}

// UnmarshalBinary replaces m with the model encoded in data.
func (m *Model) UnmarshalBinary(data []byte) error {
	r := reader{b: data}
	if !r.magic(modelMagic) {
		return fmt.Errorf("%w: not a model", ErrFormat)
	}
	units := r.int()
	nf := r.int()
	if r.err != nil || nf > 1<<20 {
		return fmt.Errorf("%w: truncated model header", ErrFormat)
	}
	features := make([]int, nf)
	for i := range features {
		features[i] = r.int()
	}
	act := r.int()
	bias := r.int()
	if r.err != nil || bias > 1 {
		return fmt.Errorf("%w: truncated model header", ErrFormat)
	}
	fresh, err := New(units, features, &Options{Nonlinearity: Nonlinearity(act), NoBias: bias == 0})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if err := r.floats(fresh.params); err != nil {
		return err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrFormat, len(r.b))
	}
	*m = *fresh
	return nil
}

// MarshalBinary encodes the optimiser's constants and state.
func (a *Adam) MarshalBinary() ([]byte, error) {
	if len(a.V) != len(a.M) {
		return nil, fmt.Errorf("model: Adam with %d and %d moments", len(a.M), len(a.V))
	}
	b := make([]byte, 0, 48+16*len(a.M))
	b = append(b, adamMagic...)
	b = binary.LittleEndian.AppendUint32(b, encVersion)
	b = appendFloats(b, []float64{a.Beta1, a.Beta2, a.Eps})
	b = binary.LittleEndian.AppendUint64(b, uint64(a.Step))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(a.M)))
	b = appendFloats(b, a.M)
	return appendFloats(b, a.V), nil
}

// UnmarshalBinary replaces a with the optimiser encoded in data.
func (a *Adam) UnmarshalBinary(data []byte) error {
	r := reader{b: data}
	if !r.magic(adamMagic) {
		return fmt.Errorf("%w: not an Adam state", ErrFormat)
	}
	c := make([]float64, 3)
	if err := r.floats(c); err != nil {
		return err
	}
	step, n := r.int(), r.int()
	if r.err != nil || n > len(r.b)/16 {
		return fmt.Errorf("%w: truncated Adam state", ErrFormat)
	}
	m, v := make([]float64, n), make([]float64, n)
	if err := r.floats(m); err != nil {
		return err
	}
	if err := r.floats(v); err != nil {
		return err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrFormat, len(r.b))
	}
	*a = Adam{Beta1: c[0], Beta2: c[1], Eps: c[2], M: m, V: v, Step: step}
	return nil
}

func appendFloats(b []byte, fs []float64) []byte {
	for _, f := range fs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	return b
}

// reader decodes the fields of an encoding, remembering the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) magic(want string) bool {
	if len(r.b) < 8 || string(r.b[:4]) != want || binary.LittleEndian.Uint32(r.b[4:8]) != encVersion {
		return false
	}
	r.b = r.b[8:]
	return true
}

func (r *reader) int() int {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.err = fmt.Errorf("%w: truncated", ErrFormat)
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	if v >= maxEncodedNs {
		r.err = fmt.Errorf("%w: value %d out of range", ErrFormat, v)
		return 0
	}
	return int(v)
}

func (r *reader) floats(dst []float64) error {
	if r.err != nil {
		return r.err
	}
	if len(r.b) < 8*len(dst) {
		return fmt.Errorf("%w: truncated", ErrFormat)
	}
	for i := range dst {
		dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(r.b[8*i:]))
	}
	r.b = r.b[8*len(dst):]
	return nil
}
