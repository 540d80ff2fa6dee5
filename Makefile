# LooPIN chain — developer targets. The two that matter first:
#   make localnet   a single-validator chain in ./.localnet, in the foreground
#   make test       unit, keeper, integration and system tests

BINARY  := build/loopind
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  := $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -X github.com/cosmos/cosmos-sdk/version.Name=loopin \
           -X github.com/cosmos/cosmos-sdk/version.AppName=loopind \
           -X github.com/cosmos/cosmos-sdk/version.Version=$(VERSION) \
           -X github.com/cosmos/cosmos-sdk/version.Commit=$(COMMIT)

.PHONY: all build build-v1 cosmovisor install localnet testnet testnet-join test test-testnet test-unit test-system sim sim-market bench-chain bench-chain-smoke fuzz ptx ptx-check gpu-test-binary gpu-emu gpu-device-bundle proto-gen proto-check lint fmt-check clean

all: build

build: ## Build loopind into build/
	go build -trimpath -ldflags '$(LDFLAGS)' -o $(BINARY) ./cmd/loopind

build-v1: ## Build "the previous release" (x/pocps v1, no upgrade registered) into build/loopind-v1, for the upgrade test
	go build -trimpath -tags loopin_v1 -ldflags '$(LDFLAGS)' -o build/loopind-v1 ./cmd/loopind

cosmovisor: ## Build cosmovisor (v1.5.0, pinned in tools/cosmovisor/go.mod) into build/cosmovisor
	cd tools/cosmovisor && go build -trimpath -o ../../build/cosmovisor cosmossdk.io/tools/cosmovisor/cmd/cosmovisor

install: ## Install loopind into $GOPATH/bin
	go install -trimpath -ldflags '$(LDFLAGS)' ./cmd/loopind

localnet: ## Run a fresh single-validator localnet (ARGS=--keep resumes the last one)
	LOOPIN_LDFLAGS="$(LDFLAGS)" scripts/localnet.sh $(ARGS)

testnet: ## Run a fresh four-validator testnet in ./.testnet (TESTNET_VALIDATORS=N; ARGS=--keep resumes it)
	LOOPIN_LDFLAGS="$(LDFLAGS)" scripts/testnet.sh $(ARGS)

testnet-join: ## Join the running testnet with a full node by state sync
	LOOPIN_LDFLAGS="$(LDFLAGS)" scripts/testnet.sh join

test: ## Unit, keeper, integration and system tests
	go test -count=1 ./...

test-unit: ## Everything but the system test
	go test -short ./...

test-testnet: ## The previous release's tests (-tags loopin_v1), then the four-validator network test (faults, upgrade under cosmovisor, state sync), about 5 minutes
	go test -count=1 -tags loopin_v1 -run 'TestV1ReleaseHaltsAtV2|TestConsensusVersion' ./app/ ./x/pocps/
	LOOPIN_TESTNET=1 go test -count=1 -timeout 30m -v -run TestTestnet ./tests/system/

test-system: ## Only the system test (builds and runs loopind)
	go test -count=1 -run TestSystem ./tests/system/...

sim: ## Sweep the app-hash determinism test (second chain in a child process) over SIM_SEEDS (default 1-20) for SIM_BLOCKS (default 500) blocks each
	LOOPIN_SIM_SEEDS=$(or $(SIM_SEEDS),1-20) LOOPIN_SIM_BLOCKS=$(or $(SIM_BLOCKS),500) \
		go test ./app/ -run '^TestAppHashDeterminism$$' -count=1 -v -timeout $(or $(SIM_TIMEOUT),3h)

sim-market: build ## Rerun the market-simulator experiments of docs/simulation.md (figures into docs/simulation/, runs into .simulation/), about 30 s
	BIN=$(BINARY) scripts/simulation-experiments.sh

bench-chain: ## Throughput under load on one node and four validators (10 000-device fixture; bank, market and renew mixes; in-process executors and the epoch-end block), about 20 minutes; tables in build/bench-chain/results.md
	LOOPIN_LDFLAGS="$(LDFLAGS)" scripts/bench-chain.sh

bench-chain-smoke: ## The same on one node with a small fixture and a few hundred transactions per mix (CI runs it through TestSystemBenchChainSmoke)
	LOOPIN_LDFLAGS="$(LDFLAGS)" scripts/bench-chain.sh --smoke

fuzz: ## Fuzz the Msg handlers, the pool ledger, the stake life cycle and the PoCPS score for FUZZTIME (default 60s) each
	go test ./app/ -run '^$$' -fuzz FuzzUpdateParams -fuzztime $(or $(FUZZTIME),60s)
	go test ./x/pools/ledger/ -run '^$$' -fuzz FuzzLedger -fuzztime $(or $(FUZZTIME),60s)
	go test ./x/pools/keeper/ -run '^$$' -fuzz FuzzPoolsKeeper -fuzztime $(or $(FUZZTIME),60s)
	go test ./x/stake/keeper/ -run '^$$' -fuzz FuzzStakeLifecycle -fuzztime $(or $(FUZZTIME),60s)
	go test ./x/pocps/types/ -run '^$$' -fuzz FuzzScoreExtremeInputs -fuzztime $(or $(FUZZTIME),60s)

ptx: ## Rebuild gpu/ptx/*.ptx from gpu/kernels with clang-19 (no NVIDIA toolkit needed)
	scripts/ptx.sh

ptx-check: ## Fail if the committed PTX is stale
	scripts/ptx.sh --check

gpu-test-binary: ## Build .gpu/gpu.test to run the GPU tests on a machine with a GPU
	go test -c -o .gpu/gpu.test ./gpu

gpu-device-bundle: ## .gpu/bundle/{gpu.test,loopind}.gz (stripped, ~60 MB: under the device tool's 64 MiB carry) for scripts/gpu-device-check.sh
	@mkdir -p .gpu/bundle
	go test -c -trimpath -ldflags '-s -w' -o .gpu/bundle/gpu.test ./gpu
	go build -trimpath -ldflags '-s -w $(LDFLAGS)' -o .gpu/bundle/loopind ./cmd/loopind
	gzip -9 -f .gpu/bundle/gpu.test .gpu/bundle/loopind
	@du -sh .gpu/bundle

proto-gen: ## Regenerate *.pb.go, *.pb.gw.go and web/openapi/loopin.swagger.json from proto/ (offline)
	scripts/protocgen.sh

proto-check: ## Fail if the committed generated protobuf code or OpenAPI document is stale
	scripts/protocgen.sh --check

lint: ## go vet and gofmt
	go vet ./...
	@$(MAKE) --no-print-directory fmt-check

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

clean:
	rm -rf build .localnet .testnet
