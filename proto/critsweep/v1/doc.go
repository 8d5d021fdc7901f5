// Package critsweepv1 is the generated Go code of the critsweep.v1 protobuf package: the
// messages that are stored in the database or cross the network (model and training specs,
// results, checkpoints, sweeps, tasks and leases) and the Coordinator gRPC service.
//
// The .proto files beside this one are the source; run `make generate` after editing them.
package critsweepv1
