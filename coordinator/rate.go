package coordinator

import "time"

// completionRate estimates a sweep's recent completions per second from the times of its
// last completions.
type completionRate struct {
	times [64]int64 // Unix ns, a ring
	n     int       // completions recorded
}

func (r *completionRate) add(now time.Time) {
	r.times[r.n%len(r.times)] = now.UnixNano()
	r.n++
}

// rate returns completions per second over the recorded window, or 0 when fewer than two
// completions were seen or the last is over a minute old.
func (r *completionRate) rate(now time.Time) float64 {
	k := min(r.n, len(r.times))
	if k < 2 {
		return 0
	}
	last := r.times[(r.n-1)%len(r.times)]
	first := r.times[(r.n-k)%len(r.times)]
	if now.UnixNano()-last > int64(time.Minute) || last <= first {
		return 0
	}
	return float64(k-1) / (float64(last-first) / 1e9)
}
