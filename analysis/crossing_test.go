package analysis

import (
	"math"
	"slices"
	"testing"
)

// TestLocalRootNoisyFlips: noise that flips the sign of D several times near the
// crossing widens the window over all flips; the root lands in the middle of them.
func TestLocalRootNoisyFlips(t *testing.T) {
	x := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	d := []float64{4.5, 3.5, 2.5, 0.1, -0.1, 0.1, -0.1, -2.5, -3.5, -4.5}
	for _, deg := range []int{1, 2, 3} {
		r, why := localRoot(x, d, nil, DefaultWindow, deg)
		if why != "" || math.Abs(r-4.5) > 0.3 {
			t.Errorf("degree %d: root %g (%s), want ≈ 4.5", deg, r, why)
		}
	}
	// A clean line crossing at 2.25 is found exactly by every degree.
	line := []float64{2.25, 1.25, 0.25, -0.75, -1.75, -2.75}
	for _, deg := range []int{1, 2, 3, 5} {
		if r, why := localRoot(x[:6], line, nil, DefaultWindow, deg); why != "" || math.Abs(r-2.25) > 1e-9 {
			t.Errorf("degree %d on a line: root %g (%s), want 2.25", deg, r, why)
		}
	}
}

// TestCrossUnsortedCurves: Cross does not rely on the points' order.
func TestCrossUnsortedCurves(t *testing.T) {
	curves, err := SigmaCurves(isingPoints(testBetas, []int{8, 10}, 0, nil))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Cross(curves[0], curves[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(curves[0].Points)
	got, err := Cross(curves[1], curves[0], nil)
	if err != nil || got != want {
		t.Errorf("reversed: %+v, %v; want %+v", got, err, want)
	}
}
