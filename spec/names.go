package spec

// The names a spec may use. Each list has a source of truth outside this package — the
// train, statmech and analysis packages, which this package does not import so that the
// coordinator and the store stay free of physics — and task's TestNamesMatchSources ties
// every list to it.

// Model kinds (model.kind).
const (
	ModelIsing        = "ising"
	ModelPotts        = "potts"
	ModelClock        = "clock"
	ModelAshkinTeller = "ashkin-teller"
	ModelCustom       = "custom"
)

// ModelKinds lists the model kinds in the order messages show them. Source of truth: the
// statmech constructors task.System calls (statmech.Ising, Potts, Clock, AshkinTeller,
// Custom).
func ModelKinds() []string {
	return []string{ModelIsing, ModelPotts, ModelClock, ModelAshkinTeller, ModelCustom}
}

// The parameters of a sweep other than β, L and the seam: each a grid axis (grid.q,
// grid.coupling_ratio, grid.four_spin, grid.tau) or a fixed field of the model. The
// results of a sweep are analysed in slices that share all of them (see SliceParams).
const (
	// ParamQ is the number of states per site, an axis of potts and clock.
	ParamQ = "q"
	// ParamCouplingRatio is J_y/J_x, the coupling of the bonds between rows over that of
	// the bonds within a row, an axis of every model.
	ParamCouplingRatio = "coupling_ratio"
	// ParamFourSpin is the Ashkin–Teller four-spin coupling U.
	ParamFourSpin = "four_spin"
	// ParamTau is the Gumbel-softmax temperature τ of gumbel-rkl.
	ParamTau = "tau"
)

// ModelAxes lists the second-coupling axes a model kind has, in the order messages show
// them: q for potts and clock, coupling_ratio for every kind, four_spin for ashkin-teller.
// Source of truth: task.System, which builds the system of every kind at any value of
// its axes.
func ModelAxes(kind string) []string {
	switch kind {
	case ModelPotts, ModelClock:
		return []string{ParamQ, ParamCouplingRatio}
	case ModelAshkinTeller:
		return []string{ParamCouplingRatio, ParamFourSpin}
	case ModelIsing, ModelCustom:
		return []string{ParamCouplingRatio}
	}
	return nil
}

// Seam boundaries (boundary, and a task's boundary).
const (
	Periodic = "periodic"
	Twisted  = "twisted"
)

// BoundaryNames lists the seams. Source of truth: statmech.ParseBoundary and
// statmech.Boundary.String.
func BoundaryNames() []string { return []string{Periodic, Twisted} }

// DefaultBoundaries are the seams of a spec that names none: both, since σ_L needs both.
func DefaultBoundaries() []string { return []string{Periodic, Twisted} }

// Objectives (training.objective; empty means ObjectiveDefault).
const (
	ObjectiveDefault   = "default"
	ObjectiveGumbelRKL = "gumbel-rkl"
)

// Objectives lists the objectives. Source of truth: train.Objectives.
func Objectives() []string { return []string{ObjectiveDefault, ObjectiveGumbelRKL} }

// UsesTau reports whether an objective depends on the Gumbel temperature τ. Source of
// truth: train.UsesTau.
func UsesTau(objective string) bool { return objective == ObjectiveGumbelRKL }

// Estimators are the names training.estimator takes; empty means the first. Source of
// truth: train.Estimators.
func Estimators() []string { return []string{"smc", "rayleigh"} }

// Nonlinearities lists the names network.nonlinearity takes (empty means "relu"). Source
// of truth: train.Nonlinearities.
func Nonlinearities() []string { return []string{"relu", "tanh", "elu", "softplus"} }

// Limits a spec must stay within. They bound what a task may ask of a worker; statmech's
// own limits (statmech.MaxQ, statmech.MaxSize) are wider, since they bound what a
// statmech.System can represent, and task's tests check that these lie within them.
const (
	// MaxTasks is the most tasks one sweep may hold, extensions included, unless the
	// coordinator's Options.MaxTasksPerSweep says otherwise.
	MaxTasks = 100000
	// MaxNameLen bounds name, in bytes.
	MaxNameLen = 100
	// MaxTaskQ is the largest number of states per site of a task's model.
	MaxTaskQ = 64
	// MaxTaskSize is the largest row length L of a task.
	MaxTaskSize = 1024
	// MaxHiddenLayers and MaxHidden bound network.hidden.
	MaxHiddenLayers = 32
	MaxHidden       = 65536
	// MaxBatch bounds training.batch.
	MaxBatch = 1 << 20
	// MaxAttempts bounds max_attempts.
	MaxAttempts = 100
	// MinCouplingRatio and MaxCouplingRatio bound coupling_ratio = J_y/J_x. Beyond them
	// the rows all but decouple or lock together: the transfer matrix's gap closes or
	// opens so far that neither training nor power iteration resolves it. statmech takes
	// any finite ratio > 0.
	MinCouplingRatio = 0.01
	MaxCouplingRatio = 100.0
	// MinFourSpin (excluded) and MaxFourSpin bound the Ashkin–Teller four-spin coupling
	// U: at U ≤ −1 the ferromagnetic state, whose order the model's σ twist probes, is no
	// longer the ground state (statmech.AshkinTeller refuses it too); above MaxFourSpin
	// the four-spin bond alone orders the model, far beyond where its two transitions are
	// studied (−1 < U ≤ 1 on the self-dual line, U > 1 split).
	MinFourSpin = -1.0
	MaxFourSpin = 10.0
)
