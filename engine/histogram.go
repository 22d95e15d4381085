package engine

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram is a lock-free latency histogram with logarithmic buckets (four per
// power of two, so a reported percentile is within 19 % above the true value).
// The zero value is ready to use.
type Histogram struct {
	buckets [64 * 4]atomic.Uint64
	count   atomic.Uint64
	max     atomic.Int64
}

func bucketOf(ns uint64) int {
	if ns < 4 {
		return int(ns)
	}
	n := bits.Len64(ns) // ns in [2^(n-1), 2^n)
	sub := (ns >> (n - 3)) & 3
	return n*4 + int(sub)
}

// upper bound of a bucket, in ns
func bucketUpper(i int) uint64 {
	if i < 4 {
		return uint64(i)
	}
	n := i / 4
	sub := uint64(i % 4)
	return (4+sub+1)<<(n-3) - 1
}

// Observe records one duration; negative durations count as zero.
func (h *Histogram) Observe(d time.Duration) {
	ns := uint64(0)
	if d > 0 {
		ns = uint64(d)
	}
	h.buckets[bucketOf(ns)].Add(1)
	h.count.Add(1)
	for {
		m := h.max.Load()
		if int64(ns) <= m || h.max.CompareAndSwap(m, int64(ns)) {
			break
		}
	}
}

// Quantile returns the q-quantile (0 < q <= 1) as an upper bucket bound.
func (h *Histogram) Quantile(q float64) time.Duration {
	total := h.count.Load()
	if total == 0 {
		return 0
	}
	rank := uint64(q*float64(total) + 0.5)
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i := range h.buckets {
		seen += h.buckets[i].Load()
		if seen >= rank {
			up := time.Duration(bucketUpper(i))
			if m := time.Duration(h.max.Load()); up > m {
				return m
			}
			return up
		}
	}
	return time.Duration(h.max.Load())
}

// LatencySummary is a histogram rendered for the API, in microseconds.
type LatencySummary struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50_us"`
	P90   float64 `json:"p90_us"`
	P99   float64 `json:"p99_us"`
	Max   float64 `json:"max_us"`
}

// Summary renders the histogram.
func (h *Histogram) Summary() LatencySummary {
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	return LatencySummary{
		Count: h.count.Load(),
		P50:   us(h.Quantile(0.50)),
		P90:   us(h.Quantile(0.90)),
		P99:   us(h.Quantile(0.99)),
		Max:   us(time.Duration(h.max.Load())),
	}
}
