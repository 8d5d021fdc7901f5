package analysis

import (
	"bytes"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestWritePlots writes every figure of an analysis with exact values, Binder and ξ/L
// and checks that each PNG decodes at a sensible size and each SVG is a non-trivial SVG
// document. Set CRITSWEEP_PLOT_DIR to keep the files for a look.
func TestWritePlots(t *testing.T) {
	dir := os.Getenv("CRITSWEEP_PLOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	a, err := Analyze(fullPoints(testBetas, testSizes, 2e-5, 0.005, rand.New(rand.NewPCG(5, 6))), &Options{Replicas: 100})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := WritePlots(dir, a)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{FigureSigma, FigureBinder, FigureXiOverL, FigureLnLambda, FigureLnLambdaError, FigureExtrapolation}
	var want []string
	for _, n := range names {
		want = append(want, filepath.Join(dir, n+".png"), filepath.Join(dir, n+".svg"))
	}
	if !slices.Equal(paths, want) {
		t.Errorf("WritePlots wrote %v, want %v", paths, want)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n+".png"))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil || len(b) < 10_000 || cfg.Width < 600 || cfg.Height < 400 {
			t.Errorf("%s.png: %d bytes, %dx%d, %v; want a decodable image of at least 600x400 and 10 kB", n, len(b), cfg.Width, cfg.Height, err)
		}
		s, err := os.ReadFile(filepath.Join(dir, n+".svg"))
		if err != nil {
			t.Fatal(err)
		}
		if len(s) < 5_000 || !bytes.Contains(s, []byte("<svg")) || !bytes.Contains(s, []byte("</svg>")) {
			t.Errorf("%s.svg: %d bytes, want a complete SVG document of at least 5 kB", n, len(s))
		}
	}
}

// TestFiguresWithoutExtras: without exact values or observables, only σ_L, ln λ/L and
// the extrapolation are drawn.
func TestFiguresWithoutExtras(t *testing.T) {
	pts := isingPoints(testBetas, []int{8, 10}, 1e-5, rand.New(rand.NewPCG(1, 1)))
	for i := range pts {
		pts[i].Exact = nil
	}
	a, err := Analyze(pts, &Options{Replicas: 20})
	if err != nil {
		t.Fatal(err)
	}
	figs, err := Figures(a)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range figs {
		got = append(got, f.Name)
	}
	if want := []string{FigureSigma, FigureLnLambda, FigureExtrapolation}; !slices.Equal(got, want) {
		t.Errorf("figures %v, want %v", got, want)
	}
	if err := figs[0].Save(filepath.Join(t.TempDir(), "sigma.pdf")); err != nil {
		t.Errorf("Save as PDF: %v", err)
	}
	if err := figs[0].Save(filepath.Join(t.TempDir(), "sigma.xyz")); err == nil {
		t.Error("Save as .xyz: no error")
	}
}
