# Generator versions are pinned: protoc-gen-go and protoc-gen-go-grpc by the tool directives
# in go.mod, protoc by Debian's protobuf-compiler package (bookworm: 3.21.12).
PROTOC_VERSION := libprotoc 3.21.12
BIN := $(CURDIR)/.bin

.PHONY: generate check-generate test check race ci static slurm-test chaos chaos-short fuzz

generate:
	@protoc --version | grep -qx '$(PROTOC_VERSION)' || { echo "need $(PROTOC_VERSION) (apt-get install protobuf-compiler), have: $$(protoc --version)"; exit 1; }
	@mkdir -p $(BIN)
	go build -o $(BIN)/protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go
	go build -o $(BIN)/protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc
	protoc -I proto \
		--plugin=protoc-gen-go=$(BIN)/protoc-gen-go \
		--plugin=protoc-gen-go-grpc=$(BIN)/protoc-gen-go-grpc \
		--go_out=proto --go_opt=paths=source_relative \
		--go-grpc_out=proto --go-grpc_opt=paths=source_relative \
		proto/critsweep/v1/*.proto

# check-generate fails when the committed generated code differs from what generate makes.
check-generate: generate
	@git diff --exit-code -- proto || { echo "generated code is stale: run make generate and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- proto)" || { git status --porcelain -- proto; echo "untracked generated files: run make generate and commit"; exit 1; }

test:
	go test ./...

# check runs the quick checks, without root: build, tests, gofmt, vet and staticcheck (pinned
# as a tool in go.mod). Tests that need root skip.
check:
	go build ./...
	go test ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	go tool staticcheck ./...

# RACE_PACKAGES are the packages with goroutines and locks that race runs under the race
# detector (it needs cgo: gcc).
RACE_PACKAGES := ./coordinator/... ./worker/... ./store/... ./spec/... ./query/... ./dashboard/... ./cmd/... ./internal/...

race:
	CGO_ENABLED=1 go test -race -count=1 -timeout 20m $(RACE_PACKAGES)

ci:
	bash .ci/run

# static builds critsweep the way deploy/Dockerfile does (and warms the cache of deploy's TestDockerfile).
static:
	CGO_ENABLED=0 go build -trimpath -buildvcs=false -o $(BIN)/critsweep-static ./cmd/critsweep

# slurm-test runs deploy/slurm's scripts on a one-node Slurm cluster on this machine (as root; installs slurm-wlm and munge).
slurm-test:
	bash deploy/slurm/test/run-slurm-test.sh

# chaos runs the full fault-injection sweep (internal/chaos: about 200 tasks, at least 10
# coordinator kills, 30 worker kills and 3 network cuts); chaos-short is the form .ci/run
# runs. Both need root (network namespace, tmpfs). CHAOS_SEED=N replays a printed seed.
chaos:
	go test -count=1 -v -timeout 20m ./internal/chaos -chaos=full $(if $(CHAOS_SEED),-chaos.seed=$(CHAOS_SEED))

chaos-short:
	go test -count=1 -v -timeout 8m ./internal/chaos -chaos=short $(if $(CHAOS_SEED),-chaos.seed=$(CHAOS_SEED))

# fuzz runs every fuzz target for FUZZTIME each; new failing inputs land in testdata/fuzz.
FUZZTIME ?= 5m
fuzz:
	go test -run '^$$' -fuzz '^FuzzParseSpec$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 3s ./spec
	go test -run '^$$' -fuzz '^FuzzHandlers$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 3s ./coordinator
	go test -run '^$$' -fuzz '^FuzzRestore$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 3s ./train
	go test -run '^$$' -fuzz '^FuzzRecords$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 3s ./store
	go test -run '^$$' -fuzz '^FuzzFile$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 3s ./store
	go test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 3s ./query
