package bindings

import (
	"context"
	"testing"
	"time"
)

// A !give-shaped transaction: read two balances, move coins, write both.
const bankModule = `module { name = "bank", permissions = { "store" } }
function init() store.set("bal:a", 1000000) store.set("bal:b", 0) end
export { give = function(n)
  local ok, err = store.update(function(tx)
    local a, b = tx.get("bal:a") or 0, tx.get("bal:b") or 0
    if a < n then error("not enough") end
    tx.set("bal:a", a - n)
    tx.set("bal:b", b + n)
  end)
  if not ok then error(err) end
end }`

// BenchmarkStoreUpdate: one store.update (two reads, two writes, one durable
// commit) called from Go through the module's export, end to end.
func BenchmarkStoreUpdate(b *testing.B) {
	te := benchEngine(b, map[string]string{"bank.lua": bankModule})
	if st := te.module("bank"); st.Status != "running" {
		b.Fatalf("bank: %s %s", st.Status, st.LastError)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := te.reg.Call(ctx, "bank.give", []any{1}); err != nil {
			b.Fatal(err)
		}
	}
	el := time.Since(start)
	b.ReportMetric(float64(el.Microseconds())/float64(b.N), "µs/update")
}
