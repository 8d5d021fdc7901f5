// Package spec says what a sweep spec means: its YAML schema, parsed strictly into a
// critsweepv1.SweepSpec; the default of every field; the rules each field keeps, with the
// field's name and its allowed range in every error (an *Error); and the expansion of a
// sweep's grid into tasks, each with a seed derived from the sweep's seed and its point
// (Expand, TaskSeed). The coordinator, the worker, the command line and the analysis take
// names, defaults and rules from here.
//
// It imports no physics: it knows the names of models, seams, objectives and
// nonlinearities, not what they do, so that the coordinator and the store that use it
// stay free of train and statmech. Package spec/task turns one task into a
// statmech.System and a train.Config, runs it, and its tests tie every name list here to
// its source of truth.
//
// # Defaults
//
// A spec needs name, model, grid.beta and grid.size; every other field may be left out:
//
//	boundary                both seams, [periodic, twisted]: σ_L needs both
//	grid.tau                one point, τ = 0, meaning the objective's default τ
//	                        (1/(q−1) for gumbel-rkl; the default objective uses none)
//	grid.q                  } no axis: the model's field of the same name (potts
//	grid.coupling_ratio     } and clock need q, from one or the other)
//	grid.four_spin          }
//	model.q                 2 for ising, 4 for ashkin-teller (potts and clock need it)
//	model.coupling_ratio    1: isotropic, J_y = J_x
//	model.four_spin         0 (ashkin-teller only: two decoupled Ising models)
//	network.hidden          } train.Config.Defaults(L, q): the train package's defaults
//	network.nonlinearity    } for the task's row length L and states q, which may
//	training.steps          } depend on both (precision at large L needs more steps,
//	training.batch          } samples and width); `critsweep spec init` prints them,
//	training.learning_rate  } and `critsweep spec check` resolves them per size
//	training.estimate_*     }
//	training.objective      "default"
//	training.seed           0
//	max_attempts            0: the coordinator's --max-attempts
//
// A field left out stays zero in the stored spec and its tasks, and is resolved only
// when a task trains (task.Config), so this package copies none of train's defaults. A
// field given explicitly always wins.
//
// # Second couplings and slices
//
// Besides β, L, τ and the seam, a grid may have the axes of its model's second coupling
// (ModelAxes): q for potts and clock, coupling_ratio = J_y/J_x (the bonds between rows
// over the bonds within a row) for every model, four_spin (U) for ashkin-teller. A task
// carries its value of each axis in the TaskSpec field of the same name, which replaces
// the model's; SliceParams gives a task's effective values. The results of a sweep are
// analysed in slices that share every parameter but β, L and the seam, and the slices
// together give the phase boundary β_c(parameter).
//
// # Caveats
//
// A task's result depends on the binary that trains it as well as on its spec: a zero
// field means the default of the train package the worker was built with.
package spec
