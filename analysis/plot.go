package analysis

import (
	"cmp"
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
)

// Figure is one plot of an Analysis, with the base name WritePlots gives its files.
type Figure struct {
	Name string
	Plot *plot.Plot
}

// Save writes the figure to path in the format its extension names (.png, .svg, .pdf,
// .eps, .jpg, .tif), with the legend to the right of the axes so that it never hides
// data. It borrows f.Plot's legend while drawing: do not draw the same Figure from two
// goroutines at once.
func (f Figure) Save(path string) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	leg := f.Plot.Legend
	legendWidth := leg.Rectangle(draw.Canvas{}).Size().X + 2*legendPad
	c, err := draw.NewFormattedCanvas(figureWidth+legendWidth, figureHeight, format)
	if err != nil {
		return fmt.Errorf("analysis: %s: %w", path, err)
	}
	dc := draw.New(c)
	f.Plot.Legend = plot.NewLegend()
	f.Plot.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
	f.Plot.Legend = leg
	top := f.Plot.Title.TextStyle.Rectangle(f.Plot.Title.Text).Size().Y + f.Plot.Title.Padding + legendPad
	leg.Top, leg.Left, leg.XOffs, leg.YOffs = true, true, 0, 0
	leg.Draw(draw.Crop(dc, figureWidth+legendPad, 0, 0, -top))

	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("analysis: %w", err)
	}
	if _, err := c.WriteTo(out); err != nil {
		out.Close()
		return fmt.Errorf("analysis: write %s: %w", path, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("analysis: write %s: %w", path, err)
	}
	return nil
}

// Figure names, the base names of the files WritePlots writes.
const (
	FigureSigma         = "sigma"           // σ_L vs β per L
	FigureBinder        = "binder"          // Binder cumulant vs β per L
	FigureXiOverL       = "xi_over_l"       // ξ/L vs β per L
	FigureLnLambda      = "ln_lambda"       // ln λ/L vs β per L, exact overlaid
	FigureLnLambdaError = "ln_lambda_error" // ln λ/L − exact vs β per L and boundary
	FigureExtrapolation = "extrapolation"   // crossings vs L^−ω, fit and β_c
)

// The size of every figure's axes area (the legend adds to the width).
const (
	figureWidth  = 16 * vg.Centimeter
	figureHeight = 11.5 * vg.Centimeter
	legendPad    = 3 * vg.Millimeter
)

// palette is a colour-blind-friendly set (Okabe–Ito), one colour per size.
var palette = []color.RGBA{
	{0, 114, 178, 255}, {213, 94, 0, 255}, {0, 158, 115, 255}, {204, 121, 167, 255},
	{230, 159, 0, 255}, {86, 180, 233, 255}, {0, 0, 0, 255}, {120, 120, 120, 255},
}

func colorOf(i int) color.Color { return palette[i%len(palette)] }

// Figures draws the plots of a: σ_L, Binder and ξ/L vs β per L (those with data), ln λ/L
// vs β with the exact values overlaid, its error against exact (where the results carry
// exact values) and the extrapolation of the σ_L crossings in L.
func Figures(a *Analysis) ([]Figure, error) {
	var figs []Figure
	add := func(name string, p *plot.Plot, err error) error {
		if err != nil {
			return fmt.Errorf("analysis: plot %s: %w", name, err)
		}
		if p != nil {
			figs = append(figs, Figure{name, p})
		}
		return nil
	}
	bulk := ""
	if a.ObservableSource != "" {
		bulk = " (" + a.ObservableSource + " rows)"
	}
	steps := []struct {
		name string
		draw func() (*plot.Plot, error)
	}{
		{FigureSigma, func() (*plot.Plot, error) {
			title := "Interface free energy σ_L = L·(ln λ_periodic − ln λ_twisted)"
			if !a.OK() {
				title += " — no β_c: " + a.Status
			}
			return curvePlot(a, Sigma, "", title, "σ_L", true)
		}},
		{FigureBinder, func() (*plot.Plot, error) {
			return curvePlot(a, Binder, Periodic, "Binder cumulant"+bulk, "U_L", false)
		}},
		{FigureXiOverL, func() (*plot.Plot, error) {
			return curvePlot(a, XiOverL, Periodic, "Correlation length over L"+bulk, "ξ/L", false)
		}},
		{FigureLnLambda, func() (*plot.Plot, error) {
			return curvePlot(a, LnLambdaPerSite, Periodic, "Free energy per site, periodic seam (lines: exact)", "ln λ / L", false)
		}},
		{FigureLnLambdaError, func() (*plot.Plot, error) { return errorPlot(a) }},
		{FigureExtrapolation, func() (*plot.Plot, error) { return extrapolationPlot(a) }},
	}
	for _, s := range steps {
		p, err := s.draw()
		if err := add(s.name, p, err); err != nil {
			return nil, err
		}
	}
	return figs, nil
}

// WritePlots writes every figure of a into dir (created if needed) as NAME.png and
// NAME.svg, and returns the paths written.
func WritePlots(dir string, a *Analysis) ([]string, error) {
	figs, err := Figures(a)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("analysis: %w", err)
	}
	var paths []string
	for _, f := range figs {
		for _, ext := range []string{".png", ".svg"} {
			path := filepath.Join(dir, f.Name+ext)
			if err := f.Save(path); err != nil {
				return paths, err
			}
			paths = append(paths, path)
		}
	}
	return paths, nil
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	p.X.Tick.Marker = niceTicks{}
	p.Y.Tick.Marker = niceTicks{}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Millimeter * 2
	p.Legend.YOffs = -vg.Millimeter * 2
	return p
}

// niceTicks puts labelled ticks at 1, 2 or 5 × 10^k, four to ten of them, with four
// minor ticks between, and labels them with as many decimals as the step needs.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	raw := (hi - lo) / 7
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if step = m * mag; step >= raw*0.999 {
			break
		}
	}
	decimals := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	minor := step / 5
	if math.Abs(step/mag-2) < 1e-9 || math.Abs(step/mag-20) < 1e-9 {
		minor = step / 4
	}
	var ticks []plot.Tick
	for i := math.Ceil(lo / minor); i*minor <= hi*(1+1e-12)+1e-300; i++ {
		v := i * minor
		t := plot.Tick{Value: v}
		if k := v / step; math.Abs(k-math.Round(k)) < 1e-6 {
			if math.Abs(v) < step*1e-9 {
				v = 0
			}
			t.Label = strconv.FormatFloat(v, 'f', decimals, 64)
			if decimals > 4 {
				t.Label = strconv.FormatFloat(v, 'g', 3, 64)
			}
		}
		ticks = append(ticks, t)
	}
	return ticks
}

func curvesOf(a *Analysis, q Quantity, boundary string) []Curve {
	var cs []Curve
	for _, c := range a.Curves {
		if c.Quantity == q && c.Boundary == boundary && len(c.Points) > 0 {
			cs = append(cs, c)
		}
	}
	slices.SortFunc(cs, func(x, y Curve) int { return cmp.Compare(x.Size, y.Size) })
	return cs
}

// errorPoints are points with symmetric y errors, for plotter.NewYErrorBars.
type errorPoints struct {
	plotter.XYs
	err []float64
}

func (e errorPoints) YError(i int) (float64, float64) { return e.err[i], e.err[i] }

// addSeries draws points with error bars joined by a thin line, in colour i, and adds
// the legend entry.
func addSeries(p *plot.Plot, label string, i int, glyph draw.GlyphDrawer, xs, ys, es []float64, join bool) error {
	pts := errorPoints{XYs: make(plotter.XYs, len(xs)), err: es}
	for k := range xs {
		pts.XYs[k] = plotter.XY{X: xs[k], Y: ys[k]}
	}
	sc, err := plotter.NewScatter(pts.XYs)
	if err != nil {
		return err
	}
	sc.GlyphStyle = draw.GlyphStyle{Color: colorOf(i), Radius: vg.Points(2.6), Shape: glyph}
	thumbs := []plot.Thumbnailer{sc}
	if join && len(xs) > 1 {
		l, err := plotter.NewLine(pts.XYs)
		if err != nil {
			return err
		}
		l.LineStyle = draw.LineStyle{Color: colorOf(i), Width: vg.Points(0.8)}
		p.Add(l)
		thumbs = append(thumbs, l)
	}
	eb, err := plotter.NewYErrorBars(pts)
	if err != nil {
		return err
	}
	eb.LineStyle = draw.LineStyle{Color: colorOf(i), Width: vg.Points(1)}
	eb.CapWidth = vg.Points(4)
	p.Add(eb, sc)
	p.Legend.Add(label, thumbs...)
	return nil
}

// curvePlot draws one quantity's curves against β, one colour per size, and where the
// points carry exact values a thin line through them. markBetaC draws β_c as a vertical
// band.
func curvePlot(a *Analysis, q Quantity, boundary, title, ylabel string, markBetaC bool) (*plot.Plot, error) {
	cs := curvesOf(a, q, boundary)
	if len(cs) == 0 {
		return nil, nil
	}
	p := newPlot(title, "β", ylabel)
	hasExact := false
	for i, c := range cs {
		xs, ys, es := columns(c)
		if err := addSeries(p, fmt.Sprintf("L = %d", c.Size), i, draw.CircleGlyph{}, xs, ys, es, q != LnLambdaPerSite); err != nil {
			return nil, err
		}
		var ex plotter.XYs
		for _, pt := range c.Points {
			if pt.Exact != nil {
				ex = append(ex, plotter.XY{X: pt.Beta, Y: *pt.Exact})
			}
		}
		if q == LnLambdaPerSite && len(ex) > 1 {
			l, err := plotter.NewLine(ex)
			if err != nil {
				return nil, err
			}
			l.LineStyle = draw.LineStyle{Color: colorOf(i), Width: vg.Points(1)}
			p.Add(l)
			hasExact = true
		}
	}
	if q == LnLambdaPerSite {
		if hasExact {
			l, err := plotter.NewLine(plotter.XYs{})
			if err != nil {
				return nil, err
			}
			l.LineStyle = draw.LineStyle{Color: color.Gray{Y: 60}, Width: vg.Points(1)}
			p.Legend.Add("exact", l)
		} else {
			p.Title.Text = "Free energy per site, periodic seam"
		}
	}
	if markBetaC && a.OK() {
		if err := addBetaC(p, a); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func columns(c Curve) (xs, ys, es []float64) {
	for _, pt := range c.Points {
		xs = append(xs, pt.Beta)
		ys = append(ys, pt.Mean)
		es = append(es, pt.StdErr)
	}
	return xs, ys, es
}

// addBetaC draws β_c as a dashed vertical line, with its total error as a shaded band.
func addBetaC(p *plot.Plot, a *Analysis) error {
	ymin, ymax := p.Y.Min, p.Y.Max
	if a.BetaCError > 0 {
		band, err := plotter.NewPolygon(plotter.XYs{
			{X: a.BetaC - a.BetaCError, Y: ymin}, {X: a.BetaC + a.BetaCError, Y: ymin},
			{X: a.BetaC + a.BetaCError, Y: ymax}, {X: a.BetaC - a.BetaCError, Y: ymax},
		})
		if err != nil {
			return err
		}
		band.Color = color.RGBA{0, 0, 0, 28}
		band.LineStyle.Width = 0
		p.Add(band)
	}
	l, err := plotter.NewLine(plotter.XYs{{X: a.BetaC, Y: ymin}, {X: a.BetaC, Y: ymax}})
	if err != nil {
		return err
	}
	l.LineStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	p.Add(l)
	p.Legend.Add("β_c = "+formatEstimate(a.BetaC, a.BetaCError), l)
	return nil
}

// errorPlot draws ln λ/L − exact with error bars, per size and boundary (filled glyphs
// periodic, hollow twisted), each series shifted a little in β so that the bars stay
// apart. It returns nil when no point carries an exact value.
func errorPlot(a *Analysis) (*plot.Plot, error) {
	p := newPlot("Error of ln λ/L against exact (bars: reported stderr)",
		"β   (series offset slightly in β for legibility)", "ln λ/L − exact")
	var series []Curve
	for _, b := range []string{Periodic, Twisted} {
		for _, c := range curvesOf(a, LnLambdaPerSite, b) {
			if slices.ContainsFunc(c.Points, func(pt CurvePoint) bool { return pt.Exact != nil }) {
				series = append(series, c)
			}
		}
	}
	if len(series) == 0 {
		return nil, nil
	}
	spacing := math.Inf(1)
	for _, c := range series {
		for k := 1; k < len(c.Points); k++ {
			spacing = min(spacing, c.Points[k].Beta-c.Points[k-1].Beta)
		}
	}
	if math.IsInf(spacing, 1) {
		spacing = 0
	}
	shift := 0.6 * spacing / float64(len(series))
	sizes := map[int]int{}
	for _, c := range curvesOf(a, LnLambdaPerSite, Periodic) {
		sizes[c.Size] = len(sizes)
	}
	for _, c := range curvesOf(a, LnLambdaPerSite, Twisted) {
		if _, ok := sizes[c.Size]; !ok {
			sizes[c.Size] = len(sizes)
		}
	}
	for k, c := range series {
		glyph := draw.GlyphDrawer(draw.CircleGlyph{})
		if c.Boundary == Twisted {
			glyph = draw.TriangleGlyph{}
		}
		offset := (float64(k) - float64(len(series)-1)/2) * shift
		var xs, ys, es []float64
		for _, pt := range c.Points {
			if pt.Exact != nil {
				xs = append(xs, pt.Beta+offset)
				ys = append(ys, pt.Mean-*pt.Exact)
				es = append(es, pt.StdErr)
			}
		}
		if err := addSeries(p, fmt.Sprintf("L = %d %s", c.Size, c.Boundary), sizes[c.Size], glyph, xs, ys, es, false); err != nil {
			return nil, err
		}
	}
	zero := plotter.NewFunction(func(float64) float64 { return 0 })
	zero.LineStyle = draw.LineStyle{Color: color.Gray{Y: 90}, Width: vg.Points(0.8)}
	p.Add(zero)
	return p, nil
}

// extrapolationPlot draws the σ_L crossings against L^−ω with the fitted line and β_c
// at L = ∞.
func extrapolationPlot(a *Analysis) (*plot.Plot, error) {
	if len(a.Crossings) == 0 {
		return nil, nil
	}
	omega := a.Fit.Omega
	if a.Fit.Method == MethodLargestPair {
		omega = DefaultOmega
	}
	how := "fixed"
	if a.Fit.OmegaFitted {
		how = "fitted"
	}
	p := newPlot("β_c(L) = β_c + a·L^−ω from the σ_L crossings",
		fmt.Sprintf("L^−ω   (L = mean of the pair's sizes, ω = %.3g %s)", omega, how), "crossing β")
	if a.Fit.Method == MethodLargestPair {
		p.Title.Text = "σ_L crossing (one pair: taken as β_c)"
		p.X.Label.Text = fmt.Sprintf("L^−%g   (L = mean of the pair's sizes)", omega)
	}
	xs := make([]float64, len(a.Crossings))
	ys := make([]float64, len(a.Crossings))
	es := make([]float64, len(a.Crossings))
	for i, c := range a.Crossings {
		xs[i], ys[i], es[i] = math.Pow(c.Size, -omega), c.Beta, c.Stderr
	}
	if err := addSeries(p, "crossings of (L, L′)", 0, draw.CircleGlyph{}, xs, ys, es, false); err != nil {
		return nil, err
	}
	var labels plotter.XYLabels
	for i, c := range a.Crossings {
		labels.XYs = append(labels.XYs, plotter.XY{X: xs[i], Y: ys[i]})
		labels.Labels = append(labels.Labels, fmt.Sprintf("  (%d,%d)", c.Sizes[0], c.Sizes[1]))
	}
	lb, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	for i := range lb.TextStyle {
		lb.TextStyle[i].XAlign = draw.XLeft
		lb.TextStyle[i].YAlign = draw.YCenter
	}
	p.Add(lb)
	if a.Fit.Method == MethodFit {
		xmax := slices.Max(xs) * 1.05
		fit := plotter.NewFunction(func(x float64) float64 { return a.Fit.BetaC + a.Fit.A*x })
		fit.XMin, fit.XMax = 0, xmax
		fit.LineStyle = draw.LineStyle{Color: colorOf(1), Width: vg.Points(1.2)}
		p.Add(fit)
		label := fmt.Sprintf("fit: a = %.3g", a.Fit.A)
		if a.Fit.ReducedChi2 != nil {
			label += fmt.Sprintf(", χ²/dof = %.2f", *a.Fit.ReducedChi2)
		}
		p.Legend.Add(label, fit)
	}
	// The Binder and ξ/L crossings, second estimators of β_c, beside σ_L's (not fitted).
	for i, cs := range [][]Crossing{a.BinderCrossings, a.XiOverLCrossings} {
		if len(cs) == 0 {
			continue
		}
		var bx, by, be []float64
		for _, c := range cs {
			bx, by, be = append(bx, math.Pow(c.Size, -omega)), append(by, c.Beta), append(be, c.Stderr)
		}
		label := []string{"Binder crossings (not fitted)", "ξ/L crossings (not fitted)"}[i]
		glyph := []draw.GlyphDrawer{draw.TriangleGlyph{}, draw.PyramidGlyph{}}[i]
		if err := addSeries(p, label, 3+i, glyph, bx, by, be, false); err != nil {
			return nil, err
		}
		xs = append(xs, bx...)
	}
	label := "β_c = " + formatEstimate(a.BetaC, a.BetaCError)
	if a.BetaCSystematic != nil {
		label += fmt.Sprintf(" (stat %.1g, sys %.1g)", a.BetaCStderr, *a.BetaCSystematic)
	} else {
		label += " (statistical only: shift not estimated)"
	}
	if err := addSeries(p, label, 2, draw.BoxGlyph{}, []float64{0}, []float64{a.BetaC}, []float64{a.BetaCError}, false); err != nil {
		return nil, err
	}
	if a.ExactBetaC != nil {
		ex := plotter.NewFunction(func(float64) float64 { return *a.ExactBetaC })
		ex.LineStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}}
		p.Add(ex)
		p.Legend.Add(fmt.Sprintf("exact β_c = %.6f", *a.ExactBetaC), ex)
	}
	// Room on the left for β_c and on the right for the pair labels.
	p.X.Min = -0.04 * slices.Max(xs)
	p.X.Max = slices.Max(xs) * 1.25
	return p, nil
}

// formatEstimate writes x ± e with e to two significant figures and x to the same place.
func formatEstimate(x, e float64) string {
	if !(e > 0) {
		return fmt.Sprintf("%.6f", x)
	}
	digits := max(0, 1-int(math.Floor(math.Log10(e))))
	return fmt.Sprintf("%.*f ± %.*f", digits, x, digits, e)
}
