package bindings

import "runtime/metrics"

// heapMetric is the live and not yet swept heap object bytes: cheap to read
// (no stop-the-world, unlike runtime.ReadMemStats).
const heapMetric = "/memory/classes/heap/objects:bytes"

func heapBytes() uint64 {
	s := [1]metrics.Sample{{Name: heapMetric}}
	metrics.Read(s[:])
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
