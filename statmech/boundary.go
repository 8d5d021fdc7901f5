package statmech

import "fmt"

// Boundary is the boundary condition of the seam bond, between site L−1 and site 0 of a row.
type Boundary int

const (
	// Periodic joins site L−1 to site 0 with the ordinary bond W.
	Periodic Boundary = iota
	// Twisted joins them with the twisted bond W(a, (b+1) mod q) (see BondWeight.Twist):
	// the seam term of Th(x') is W(x'_0, (x'_{L−1}+1) mod q). For the Ising model this is
	// the antiperiodic bond W(−β).
	Twisted
)

// String returns "periodic" or "twisted".
func (b Boundary) String() string {
	switch b {
	case Periodic:
		return "periodic"
	case Twisted:
		return "twisted"
	}
	return fmt.Sprintf("Boundary(%d)", int(b))
}

func (b Boundary) valid() bool { return b == Periodic || b == Twisted }

// ParseBoundary parses "periodic" or "twisted".
func ParseBoundary(s string) (Boundary, error) {
	switch s {
	case "periodic":
		return Periodic, nil
	case "twisted":
		return Twisted, nil
	}
	return 0, fmt.Errorf("%w: boundary must be periodic or twisted, got %q", ErrBoundary, s)
}

// MarshalText implements encoding.TextMarshaler.
func (b Boundary) MarshalText() ([]byte, error) {
	if !b.valid() {
		return nil, fmt.Errorf("%w: boundary must be periodic or twisted, got %d", ErrBoundary, int(b))
	}
	return []byte(b.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *Boundary) UnmarshalText(text []byte) error {
	v, err := ParseBoundary(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}
