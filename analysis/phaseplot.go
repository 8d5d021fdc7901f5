package analysis

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/critsweep/critsweep/spec"
)

// Base names of the files of the phase diagram's figures.
const (
	FigurePhaseDiagram   = "phase_diagram"           // T_c against the parameter, exact line overlaid
	FigurePhaseDeviation = "phase_diagram_deviation" // (β_c − exact)/exact against the parameter
)

// PhaseDiagram draws the phase boundary of a sweep: T_c = 1/β_c against the parameter
// that varies between its slices, with error bars of the total error (statistical and
// systematic), one series per value of the other varying parameters, and the exact line
// where Options.ExactBetaC knows it (a curve for continuous parameters, a mark per value
// of q). It returns nil when the sweep has a single slice.
func PhaseDiagram(sw *Sweep) (*Figure, error) {
	pb := sw.Boundary
	if pb == nil || pb.Parameter == "" {
		return nil, nil
	}
	p := newPlot("Phase diagram: T_c = 1/β_c from the σ_L crossings (bars: total error, 1σ)",
		paramLabel(pb.Parameter), "T_c   (units of J/k_B, J the coupling within a row)")
	// Group the points into series by the other varying parameters.
	type ser struct {
		label      string
		xs, ys, es []float64
		params     Params
	}
	var series []*ser
	byLabel := map[string]*ser{}
	missing := 0
	for _, bp := range pb.Points {
		var parts []string
		for _, name := range pb.Series {
			v, _ := bp.Params.Get(name)
			parts = append(parts, ParamSymbol(name)+" = "+strconv.FormatFloat(v, 'g', -1, 64))
		}
		label := strings.Join(parts, ", ")
		s := byLabel[label]
		if s == nil {
			s = &ser{label: label, params: bp.Params}
			byLabel[label] = s
			series = append(series, s)
		}
		if bp.TC == nil {
			missing++
			continue
		}
		x, _ := bp.Params.Get(pb.Parameter)
		s.xs, s.ys, s.es = append(s.xs, x), append(s.ys, *bp.TC), append(s.es, *bp.TCError)
	}
	var allX []float64
	for _, bp := range pb.Points {
		x, _ := bp.Params.Get(pb.Parameter)
		allX = append(allX, x)
	}
	lo, hi := slices.Min(allX), slices.Max(allX)
	pad := 0.05 * (hi - lo)
	if pad == 0 {
		pad = 0.5
	}
	haveExact := false
	for i, s := range series {
		if sw.exact != nil {
			ok, err := exactLine(p, sw.exact, s.params, pb.Parameter, lo-pad, hi+pad, i, len(series) > 1)
			if err != nil {
				return nil, err
			}
			haveExact = haveExact || ok
		}
		if len(s.xs) == 0 {
			continue
		}
		label := "T_c from σ_L crossings"
		if s.label != "" {
			label += ", " + s.label
		}
		if err := addSeries(p, label, i, draw.CircleGlyph{}, s.xs, s.ys, s.es, len(series) > 1); err != nil {
			return nil, err
		}
	}
	if haveExact {
		l, err := plotter.NewLine(plotter.XYs{})
		if err != nil {
			return nil, err
		}
		l.LineStyle = exactStyle(color.Black)
		name := "exact critical line"
		if line := exactName(sw); line != "" {
			name += ": " + line
		}
		p.Legend.Add(name, l)
	}
	if missing > 0 {
		p.Title.Text += fmt.Sprintf("\n%d slice(s) without β_c are left out: see the table", missing)
	}
	p.X.Min, p.X.Max = lo-pad, hi+pad
	if pb.Parameter == spec.ParamQ {
		p.X.Tick.Marker = integerTicks{}
	}
	// Which side is which: "ordered" in the bottom corner where T_c is highest,
	// "disordered" in the top corner where it is lowest.
	var first, last *BoundaryPoint
	for i := range pb.Points {
		bp := &pb.Points[i]
		if bp.TC == nil {
			continue
		}
		x, _ := bp.Params.Get(pb.Parameter)
		if fx, _ := first.param(pb.Parameter); first == nil || x < fx {
			first = bp
		}
		if lx, _ := last.param(pb.Parameter); last == nil || x > lx {
			last = bp
		}
	}
	if first != nil && p.Y.Max > p.Y.Min {
		left, right := lo-pad, hi+pad
		ordered, disordered := left, right
		if *first.TC < *last.TC {
			ordered, disordered = right, left
		}
		lb, err := plotter.NewLabels(plotter.XYLabels{
			XYs:    []plotter.XY{{X: ordered, Y: p.Y.Min}, {X: disordered, Y: p.Y.Max}},
			Labels: []string{"ordered (T < T_c)", "disordered (T > T_c)"},
		})
		if err != nil {
			return nil, err
		}
		lb.TextStyle[0].YAlign, lb.TextStyle[1].YAlign = draw.YBottom, draw.YTop
		for i, x := range []float64{ordered, disordered} {
			lb.TextStyle[i].Color = color.Gray{Y: 90}
			lb.TextStyle[i].XAlign = draw.XLeft
			if x == right {
				lb.TextStyle[i].XAlign = draw.XRight
			}
		}
		p.Add(lb)
	}
	return &Figure{Name: FigurePhaseDiagram, Plot: p}, nil
}

// param returns the value of a parameter of a boundary point; false for a nil point.
func (bp *BoundaryPoint) param(name string) (float64, bool) {
	if bp == nil {
		return 0, false
	}
	return bp.Params.Get(name)
}

func exactStyle(c color.Color) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
}

// exactName is the exact line's name, when all slices agree on it.
func exactName(sw *Sweep) string {
	name := ""
	for _, a := range sw.Slices {
		switch {
		case a.ExactLine == "":
		case name == "":
			name = a.ExactLine
		case name != a.ExactLine:
			return ""
		}
	}
	return name
}

// exactLine draws T_c = 1/β_c of the exact line for the parameters base with param
// running over [lo, hi]: a dashed curve (split where no exact value is known), or a mark
// per integer for q. It reports whether it drew anything.
func exactLine(p *plot.Plot, exact func(Params) (float64, string, bool), base Params, param string, lo, hi float64, i int, coloured bool) (bool, error) {
	at := func(x float64) (float64, bool) {
		ps := slices.Clone(base)
		for k := range ps {
			if ps[k].Name == param {
				ps[k].Value = x
			}
		}
		b, _, ok := exact(ps)
		if !ok || !(b > 0) {
			return 0, false
		}
		return 1 / b, true
	}
	c := color.Color(color.Black)
	if coloured {
		c = colorOf(i)
	}
	drew := false
	if param == spec.ParamQ {
		var pts plotter.XYs
		for q := math.Ceil(lo); q <= hi; q++ {
			if t, ok := at(q); ok {
				pts = append(pts, plotter.XY{X: q, Y: t})
			}
		}
		if len(pts) > 0 {
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return false, err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(5), Shape: draw.CrossGlyph{}}
			p.Add(sc)
			drew = true
		}
		return drew, nil
	}
	const n = 240
	var seg plotter.XYs
	flush := func() error {
		if len(seg) > 1 {
			l, err := plotter.NewLine(seg)
			if err != nil {
				return err
			}
			l.LineStyle = exactStyle(c)
			p.Add(l)
			drew = true
		}
		seg = nil
		return nil
	}
	for k := range n + 1 {
		x := lo + (hi-lo)*float64(k)/n
		if t, ok := at(x); ok {
			seg = append(seg, plotter.XY{X: x, Y: t})
		} else if err := flush(); err != nil {
			return false, err
		}
	}
	return drew, flush()
}

// integerTicks labels the integers of the axis.
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for x := math.Ceil(lo); x <= hi; x++ {
		ticks = append(ticks, plot.Tick{Value: x, Label: strconv.Itoa(int(x))})
	}
	return ticks
}

// PhaseDeviation draws each slice's (β_c − β_c^exact)/β_c^exact against the parameter
// along the phase boundary, with the total error bar and, inside it, the statistical one:
// the error bars that the phase diagram's scale leaves too small to read. Slices with a
// single crossing (no systematic error) are drawn hollow. It returns nil when the sweep
// has a single slice or no exact values.
func PhaseDeviation(sw *Sweep) (*Figure, error) {
	pb := sw.Boundary
	if pb == nil || pb.Parameter == "" {
		return nil, nil
	}
	var xs, ys, total, stat, xs1, ys1, stat1 []float64
	for _, bp := range pb.Points {
		if bp.BetaC == nil || bp.ExactBetaC == nil {
			continue
		}
		x, _ := bp.Params.Get(pb.Parameter)
		ex := *bp.ExactBetaC
		if bp.BetaCSystematic == nil {
			xs1, ys1, stat1 = append(xs1, x), append(ys1, (*bp.BetaC-ex)/ex), append(stat1, *bp.BetaCError/ex)
			continue
		}
		xs, ys = append(xs, x), append(ys, (*bp.BetaC-ex)/ex)
		total, stat = append(total, *bp.BetaCError/ex), append(stat, *bp.BetaCStderr/ex)
	}
	if len(xs)+len(xs1) == 0 {
		return nil, nil
	}
	p := newPlot("β_c against the exact critical line (outer bars: total error; inner: statistical)",
		paramLabel(pb.Parameter), "(β_c − β_c^exact) / β_c^exact")
	zero := plotter.NewFunction(func(float64) float64 { return 0 })
	zero.LineStyle = exactStyle(color.Black)
	p.Add(zero)
	p.Legend.Add("exact critical line", zero)
	if len(xs) > 0 {
		if err := addSeries(p, "β_c, total error", 0, draw.CircleGlyph{}, xs, ys, total, false); err != nil {
			return nil, err
		}
		inner := errorPoints{XYs: make(plotter.XYs, len(xs)), err: stat}
		for k := range xs {
			inner.XYs[k] = plotter.XY{X: xs[k], Y: ys[k]}
		}
		eb, err := plotter.NewYErrorBars(inner)
		if err != nil {
			return nil, err
		}
		eb.LineStyle = draw.LineStyle{Color: colorOf(1), Width: vg.Points(2.5)}
		eb.CapWidth = vg.Points(7)
		p.Add(eb)
		thumb, err := plotter.NewLine(plotter.XYs{})
		if err != nil {
			return nil, err
		}
		thumb.LineStyle = eb.LineStyle
		p.Legend.Add("statistical error alone", thumb)
	}
	if len(xs1) > 0 {
		if err := addSeries(p, "single crossing: statistical error only", 3, draw.RingGlyph{}, xs1, ys1, stat1, false); err != nil {
			return nil, err
		}
	}
	var all []float64
	for _, bp := range pb.Points {
		x, _ := bp.Params.Get(pb.Parameter)
		all = append(all, x)
	}
	lo, hi := slices.Min(all), slices.Max(all)
	pad := 0.05 * (hi - lo)
	if pad == 0 {
		pad = 0.5
	}
	p.X.Min, p.X.Max = lo-pad, hi+pad
	if pb.Parameter == spec.ParamQ {
		p.X.Tick.Marker = integerTicks{}
	}
	return &Figure{Name: FigurePhaseDeviation, Plot: p}, nil
}

// WriteSweepPlots writes the figures of every slice — into dir itself for a sweep of one
// slice, else into a folder per slice named by its parameters (Params.Slug) — and the
// phase diagram and its deviation from the exact line into dir, as PNG and SVG. A slice without β_c still gets its curves. It
// returns the paths written.
func WriteSweepPlots(dir string, sw *Sweep) ([]string, error) {
	var paths []string
	for _, a := range sw.Slices {
		d := dir
		if len(sw.Slices) > 1 {
			d = filepath.Join(dir, a.Params.Slug())
		}
		ps, err := WritePlots(d, a)
		paths = append(paths, ps...)
		if err != nil {
			return paths, err
		}
	}
	for _, draw := range []func(*Sweep) (*Figure, error){PhaseDiagram, PhaseDeviation} {
		fig, err := draw(sw)
		if err != nil {
			return paths, err
		}
		if fig == nil {
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return paths, fmt.Errorf("analysis: %w", err)
		}
		for _, ext := range []string{".png", ".svg"} {
			path := filepath.Join(dir, fig.Name+ext)
			if err := fig.Save(path); err != nil {
				return paths, err
			}
			paths = append(paths, path)
		}
	}
	return paths, nil
}
