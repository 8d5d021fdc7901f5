package model

import "fmt"

// Stepping a tape by hand: Start sizes it for batch rows, Step computes the
// conditionals of one unit from the units set before it, and Set writes that
// unit's values. Units must be stepped and set in order, 0, 1, …; the tape
// then holds the rows like one filled by LogProb (up to the values Set was
// given), and LogitsBackward or LogProbBackward differentiate it. This is how
// one network is run alongside another, site by site, or how a row is made of
// given values (the first units) and drawn ones (the rest).

// Start empties the tape and sizes it for batch rows.
func (t *Tape) Start(batch int) {
	t.checkSample("Start", nil, batch)
	t.reset(tapeFixed, batch, 0)
	t.stepped = 0
	t.site = grow(t.site, batch*t.m.States())
}

// Step computes unit i's log-conditionals, log p(x_i = a | x_<i), from the
// values set for units < i, and writes them to dst[n·q+a] (if dst is not nil).
// Unit i must be the next one: Start, then Step(0), Set(0), Step(1), ….
func (t *Tape) Step(i int, dst []float64) {
	if t.kind != tapeFixed || i != t.stepped {
		panic(fmt.Sprintf("model: Step(%d): the next unit is %d", i, t.stepped))
	}
	b, q := t.batch, t.m.States()
	if dst != nil && len(dst) != b*q {
		panic(fmt.Sprintf("model: Step: len(dst) %d, want %d", len(dst), b*q))
	}
	t.forwardUnit(i)
	if dst != nil {
		toSampleMajor(dst, t.unitRows(t.lsm, i, q), b, q)
	}
}

// Set writes the values of unit i of every row, xi[n·q+a], after Step(i).
func (t *Tape) Set(i int, xi []float64) {
	b, q := t.batch, t.m.States()
	if t.kind != tapeFixed || i != t.stepped || i >= t.m.units {
		panic(fmt.Sprintf("model: Set(%d): the next unit is %d", i, t.stepped))
	}
	if len(xi) != b*q {
		panic(fmt.Sprintf("model: Set: len(xi) %d, want %d", len(xi), b*q))
	}
	toFeatureMajor(t.unitRows(t.x, i, q), xi, b, q)
	t.stepped++
}

// LogitsBackward adds to the model's gradient the gradient of a loss whose
// derivatives with respect to the logits of every unit are dl[(n·units+i)·q+a]
// (the logits are the last layer's outputs, before the log-softmax; a loss of
// log-conditionals has ∂/∂logit_a = g_a − p_a Σ_b g_b). The rows on the tape
// are held fixed.
func (t *Tape) LogitsBackward(dl []float64) {
	m, b, q := t.m, t.batch, t.m.States()
	if t.kind == tapeEmpty {
		panic("model: LogitsBackward on an empty tape")
	}
	if len(dl) != b*m.units*q {
		panic(fmt.Sprintf("model: LogitsBackward: len(dl) %d, want %d", len(dl), b*m.units*q))
	}
	t.resetGrad(false)
	unit := t.dl[:q*b]
	for i := m.units - 1; i >= 0; i-- {
		for n := 0; n < b; n++ {
			for a := 0; a < q; a++ {
				unit[a*b+n] = dl[(n*m.units+i)*q+a]
			}
		}
		t.backwardUnit(i, unit, false)
	}
}
