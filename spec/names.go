package spec

// The names a spec may use. Each list has a source of truth outside this package — the
// train, statmech and analysis packages, which this package does not import so that the
// coordinator and the store stay free of physics — and task's TestNamesMatchSources ties
// every list to it.

// Model kinds (model.kind).
const (
	ModelIsing  = "ising"
	ModelPotts  = "potts"
	ModelClock  = "clock"
	ModelCustom = "custom"
)

// ModelKinds lists the model kinds in the order messages show them. Source of truth: the
// statmech constructors task.System calls (statmech.Ising, Potts, Clock, Custom).
func ModelKinds() []string { return []string{ModelIsing, ModelPotts, ModelClock, ModelCustom} }

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
)
