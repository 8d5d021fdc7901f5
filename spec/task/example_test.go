package task_test

import (
	"context"
	"fmt"
	"log"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec/task"
)

// ExampleTrain trains one task in-process: the reference a worker's result can be checked
// against, since the same spec gives the same result, bit for bit, apart from seconds.
func ExampleTrain() {
	ts := &critsweepv1.TaskSpec{
		Model:    &critsweepv1.ModelSpec{Kind: "potts", Q: 3},
		Beta:     1.0,
		Size:     4,
		Boundary: "periodic",
		Network:  &critsweepv1.NetworkSpec{Hidden: []uint32{8}},
		Training: &critsweepv1.TrainingSpec{Steps: 300, Batch: 64, LearningRate: 1e-2, Seed: 2},
	}
	res, err := task.Train(context.Background(), ts, &task.Options{EstimateSamples: 4096, EstimateDraws: 1 << 14})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d steps, ln λ/L = %.2f (exact %.2f), TV distance < 0.1: %v\n", res.GetSteps(),
		res.GetLnLambdaPerSite().GetValue(), res.GetExact().GetLnLambdaPerSite(), res.GetExact().GetTvDistance() < 0.1)
	// Output:
	// 300 steps, ln λ/L = 2.09 (exact 2.09), TV distance < 0.1: true
}
