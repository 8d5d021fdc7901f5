// Package task turns one task of a sweep — a critsweepv1.TaskSpec, as package spec
// expands it or `critsweep train` builds it from its flags — into what trains it and
// what it yields:
//
//   - Resolve: the statmech.System and the train.Config, with every field the spec left
//     zero resolved by train.Config.Defaults for the task's L and q (the one place where
//     a spec's defaults are resolved);
//   - Attempt: one attempt at training it, train → estimate → exact comparison → the
//     Result message, stepwise (the worker, with heartbeats and checkpoints) or in one
//     call (Train; `critsweep train`);
//   - Exact: the exact solution of its system, Kaufman's closed form for Ising at any L
//     (anisotropic too); CriticalBeta: the exact critical point of its model where one is
//     known, for the analysis to compare with;
//   - EstimateCost and WriteTemplate: what `critsweep spec check` and `spec init` print.
//
// It sits between package spec, which knows names and rules but no physics, and the
// train and statmech packages, so that the coordinator and the store, which use spec,
// never import train. Its tests tie spec's name lists to train's and statmech's.
//
// # Threading a new training setting
//
// A field added to train.Config reaches tasks through: a field of the TrainingSpec or
// NetworkSpec message (proto/critsweep/v1/physics.proto, then make generate); its range
// in spec's validateTraining or validateNetwork (zero must stay valid: it means the
// default); its copy in Resolve; a line in WriteTemplate. Its default stays in
// train.Config.Defaults only. TestConfigFieldsThreaded fails until Resolve sets the new
// field from the spec or lists it as not the spec's.
//
// # Threading a model's coupling
//
// A second coupling of a model (q, coupling_ratio and four_spin are the examples) is a
// field of ModelSpec, an axis of Grid and a point field of TaskSpec (proto, make
// generate); spec names it (ModelAxes: the kinds that have it), checks its range in the
// model, the grid and the task, expands it (Points, Task, PointOf, TaskSeed) and gives its
// effective value (SliceParams); System builds the statmech weights from it, CriticalBeta
// knows its exact line where there is one, WriteTemplate shows it, and the CLI's model
// flags set it. TestNamesMatchSources fails until System builds every kind at every
// value of each axis spec allows it, and refuses the axes it does not.
package task
