# StarStreamer tasks. `just --list` shows them.

# run the engine on the defaults (scripts/, data/, panel on 127.0.0.1:8888)
run *ARGS:
    go run . {{ARGS}}

# run with debug logs and a short reload debounce, for working on scripts
dev *ARGS:
    go run . --log-level debug --reload-debounce 50ms {{ARGS}}

# every test: Go packages and the *_test.lua script tests
test:
    go test ./...

# the race detector on the concurrent packages
race:
    go test -race ./engine/... ./bindings/... ./web/... ./platform/... ./app ./e2e

# the benchmarks (figures for issue notes)
bench:
    go test -run '^$' -bench . -benchtime 2s ./engine ./bindings ./web ./platform/...

# format the code
fmt:
    gofmt -w .

# vet and the format check (what CI checks besides the tests)
lint:
    go vet ./...
    test -z "$(gofmt -l .)"
