# Generator versions are pinned: protoc-gen-go and protoc-gen-go-grpc by the tool directives
# in go.mod, protoc by Debian's protobuf-compiler package (bookworm: 3.21.12).
PROTOC_VERSION := libprotoc 3.21.12
BIN := $(CURDIR)/.bin

.PHONY: generate check-generate test ci static slurm-test

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

ci:
	bash .ci/run

# static builds critsweep the way deploy/Dockerfile does (and warms the cache of deploy's TestDockerfile).
static:
	CGO_ENABLED=0 go build -trimpath -buildvcs=false -o $(BIN)/critsweep-static ./cmd/critsweep

# slurm-test runs deploy/slurm's scripts on a one-node Slurm cluster on this machine (as root; installs slurm-wlm and munge).
slurm-test:
	bash deploy/slurm/test/run-slurm-test.sh
