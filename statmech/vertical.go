package statmech

// vertical applies V = ⊗_i W to vectors over the q^L states, site by site, in place.
//
// A site with stride q^i maps each fiber of q entries spaced q^i apart through W. Done
// one site at a time over the whole vector, each site would be a pass through memory;
// instead the sites are applied in cache-sized tiles: the low sites (small strides) on
// contiguous chunks of the vector, the high sites in groups, on tiles gathered from short
// contiguous pieces of each fiber. A whole application of V then costs a few passes
// through memory whatever L is.
type vertical struct {
	w          []float64 // q×q, row-major
	q, L       int
	low        int // number of low sites, applied on contiguous chunks
	chunk      int // q^low
	group      int // number of high sites applied per tile
	tile       int // entries per tile
	bufA, bufB []float64
	fiber      []float64
}

// verticalTile is the number of entries of a tile: 2048 float64, 16 KiB, so that two
// tiles stay in the L1 cache.
const (
	verticalTile  = 2048
	verticalPiece = 16 // the shortest contiguous piece gathered for the high sites
)

func newVertical(w []float64, q, L int) *vertical {
	v := &vertical{w: w, q: q, L: L, fiber: make([]float64, q)}
	v.chunk = 1
	for v.low < L && v.chunk*q <= verticalTile {
		v.low++
		v.chunk *= q
	}
	v.group = 1
	for g := q * q; g*verticalPiece <= verticalTile; g *= q {
		v.group++
	}
	v.tile = max(verticalTile, v.chunk, q*q)
	v.bufA, v.bufB = make([]float64, v.tile), make([]float64, v.tile)
	return v
}

// apply overwrites x with V x.
func (v *vertical) apply(x []float64) {
	q, w := v.q, v.w
	// Low sites: contiguous chunks of q^low entries.
	if v.low > 0 {
		for base := 0; base < len(x); base += v.chunk {
			src, dst := v.bufA[:v.chunk], v.bufB[:v.chunk]
			copy(src, x[base:base+v.chunk])
			stride := 1
			for range v.low {
				applySite(dst, src, w, q, stride, v.fiber)
				src, dst = dst, src
				stride *= q
			}
			copy(x[base:base+v.chunk], src)
		}
	}
	// High sites, v.group at a time: for sites j…j+g−1 (stride S = q^j), gather for each
	// of the G = q^g digit combinations D the piece x[base+D·S+k0 : +width] into a tile.
	stride := v.chunk
	for j := v.low; j < v.L; j += v.group {
		g := min(v.group, v.L-j)
		combos := 1
		for range g {
			combos *= q
		}
		block := stride * combos
		width := min(stride, max(1, v.tile/combos))
		for base := 0; base < len(x); base += block {
			for k0 := 0; k0 < stride; k0 += width {
				wd := min(width, stride-k0)
				n := combos * wd
				src, dst := v.bufA[:n], v.bufB[:n]
				for d := range combos {
					o := base + d*stride + k0
					copy(src[d*wd:(d+1)*wd], x[o:o+wd])
				}
				st := wd
				for range g {
					applySite(dst, src, w, q, st, v.fiber)
					src, dst = dst, src
					st *= q
				}
				for d := range combos {
					o := base + d*stride + k0
					copy(x[o:o+wd], src[d*wd:(d+1)*wd])
				}
			}
		}
		stride = block
	}
}

// applySite writes dst(…, a, …) = Σ_b W(a, b) src(…, b, …) for the site whose digit has
// the given stride in the state index.
func applySite(dst, src, w []float64, q, stride int, fiber []float64) {
	block := stride * q
	if q == 2 {
		w00, w01, w10, w11 := w[0], w[1], w[2], w[3]
		if stride == 1 {
			src = src[:len(dst)]
			for k := 0; k+1 < len(dst); k += 2 {
				a, b := src[k], src[k+1]
				dst[k] = w00*a + w01*b
				dst[k+1] = w10*a + w11*b
			}
			return
		}
		for base := 0; base < len(src); base += block {
			s0, s1 := src[base:base+stride], src[base+stride:base+block]
			d0, d1 := dst[base:base+stride], dst[base+stride:base+block]
			s1, d0, d1 = s1[:len(s0)], d0[:len(s0)], d1[:len(s0)]
			for k, a := range s0 {
				b := s1[k]
				d0[k] = w00*a + w01*b
				d1[k] = w10*a + w11*b
			}
		}
		return
	}
	for base := 0; base < len(src); base += block {
		s, d := src[base:base+block], dst[base:base+block]
		for k := 0; k < stride; k++ {
			for b := range fiber {
				fiber[b] = s[b*stride+k]
			}
			for a := 0; a < q; a++ {
				d[a*stride+k] = dot(w[a*q:(a+1)*q], fiber)
			}
		}
	}
}
