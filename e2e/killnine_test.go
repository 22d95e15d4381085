package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

// killDuringStorm runs the engine, sends !give from random
// viewers to random viewers from 4 goroutines, kills the process with SIGKILL
// after d and returns how many events were accepted.
func killDuringStorm(t *testing.T, scripts, db string, viewers int, d time.Duration) int64 {
	t.Helper()
	addr := freeAddr(t)
	base := "http://" + addr
	logs := &lockedLog{}
	p := startProcess(t, logs, "--scripts", scripts, "--data", db, "--addr", addr, "--obs-addr", "")
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("engine log:\n%s", logs.String())
		}
	})
	token := readToken(t, db, 15*time.Second)
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 15*time.Second {
			t.Fatal("the engine process did not come up")
		}
		req, _ := http.NewRequest(http.MethodGet, base+"/api/modules/rpg", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue
		}
		var m struct {
			Module struct {
				Status string `json:"status"`
			} `json:"module"`
		}
		json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if m.Module.Status == "running" {
			break
		}
	}
	var sent atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(d)))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				from, to := rng.IntN(viewers), rng.IntN(viewers)
				body := fmt.Sprintf(`{"type":"twitch.chat.message","data":{"user":{"id":"%d","username":"viewer%d","display_name":"viewer%d"},"message":"!give @viewer%d %d","message_id":"g%d-%d-%d"}}`,
					100+from, from, from, to, 1+rng.IntN(50), d, w, i)
				req, _ := http.NewRequest("POST", base+"/api/events", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the engine is gone
				}
				resp.Body.Close()
				sent.Add(1)
			}
		}()
	}
	time.Sleep(d)
	p.kill()
	close(stop)
	wg.Wait()
	return sent.Load()
}

// rpgTotal adds up every balance of the rpg module's ledger.
func rpgTotal(t *testing.T, dbPath string) (total int64, accounts int) {
	t.Helper()
	st, err := engine.OpenStore(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, err := st.Keys("rpg", "bal:", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		raw, err := st.Get("rpg", k)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := json.Unmarshal(raw, &n); err != nil {
			t.Fatalf("%s = %s: %v", k, raw, err)
		}
		if n < 0 {
			t.Fatalf("%s is negative: %d", k, n)
		}
		total += n
	}
	return total, len(keys)
}

// The shipped rpg module moves coins in one store.update. A kill -9 of the
// engine in the middle of a storm of !give must leave the number of coins as
// it was: every transfer happened whole or not at all.
func TestKillNineDuringGiveStormKeepsTheCoins(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills engine processes")
	}
	dir := t.TempDir()
	scripts, db := filepath.Join(dir, "scripts"), filepath.Join(dir, "data", "ss.db")
	if err := os.CopyFS(filepath.Join(scripts, "rpg"), os.DirFS("../scripts/rpg")); err != nil {
		t.Fatal(err)
	}
	const viewers, coins = 8, 1000
	st, err := engine.OpenStore(db)
	if err != nil {
		t.Fatal(err)
	}
	for i := range viewers {
		id, login := fmt.Sprint(100+i), fmt.Sprintf("viewer%d", i)
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(st.Set("rpg", "bal:"+id, json.RawMessage(fmt.Sprint(coins))))
		must(st.Set("rpg", "login:"+login, json.RawMessage(`"`+id+`"`)))
		must(st.Set("rpg", "user:"+id, json.RawMessage(`{"login":"`+login+`","name":"`+login+`"}`)))
	}
	st.Close()
	before, _ := rpgTotal(t, db)

	// Rounds: start the engine, storm it with !give, kill -9 it at a varying
	// moment, check the ledger. A kill must land between the writes of one
	// transfer to catch a non-atomic one; with 4 rounds, a version that moved
	// coins in two writes was caught in most runs.
	for round := range 4 {
		n := killDuringStorm(t, scripts, db, viewers, 300*time.Millisecond+time.Duration(round)*150*time.Millisecond)
		after, accounts := rpgTotal(t, db)
		t.Logf("round %d: %d !give sent before the kill; total %d -> %d over %d accounts", round+1, n, before, after, accounts)
		if n < 20 {
			t.Fatalf("round %d: only %d gives were sent before the kill: the storm did not happen", round+1, n)
		}
		if after != before {
			t.Fatalf("round %d: kill -9 during a !give storm changed the number of coins: %d -> %d", round+1, before, after)
		}
	}
	// the ledger really moved (the test is not vacuous)
	st, err = engine.OpenStore(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	moved := false
	for i := range viewers {
		raw, _ := st.Get("rpg", fmt.Sprint("bal:", 100+i))
		moved = moved || string(raw) != fmt.Sprint(coins)
	}
	if !moved {
		t.Fatal("no balance changed: no !give was handled before the kill")
	}
}
