package train

import (
	"runtime"
	"sync"
)

// parallelFor calls f(k) for every k in [0, n) on at most threads goroutines (0 or less:
// GOMAXPROCS). Each f(k) must write only to what belongs to k, so that the outcome does not
// depend on threads.
func parallelFor(n, threads int, f func(k int)) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = min(threads, n)
	if threads <= 1 {
		for k := range n {
			f(k)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range threads {
		wg.Go(func() {
			for k := range next {
				f(k)
			}
		})
	}
	for k := range n {
		next <- k
	}
	close(next)
	wg.Wait()
}
