# One command runs everything CI runs: `make test`.
GO          ?= go
GOBIN       := $(shell $(GO) env GOPATH)/bin
# Pinned tools, installed from the Go module proxy.
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Packages with no Pulumi dependency are also run under the race detector
# (the Pulumi SDKs would make a race build take minutes).
RACE_PKGS   := ./rotation/... ./jwtkeys/... ./examples/...

.PHONY: test tools check-tools lint unit bench build

## test: lint, then every test (unit, Pulumi mocks, moto + emulator integration).
test: check-tools lint
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race $(RACE_PKGS)

## tools: install the Lambda Runtime Interface Emulator.
tools:
	GOFLAGS= $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

## check-tools: install what can be installed, fail loudly on what cannot.
check-tools: tools
	@scripts/check-moto

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## bench: the numbers in the README (calls per rotation, step times, cold start).
bench: check-tools
	$(GO) test -count=1 -run '^$$' -bench . -benchtime=20x ./rotation ./cmd/rotator
	scripts/bench-jwtkeys

## build: the deployable function (the Pulumi program builds it too).
build:
	mkdir -p build
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -buildvcs=false -tags lambda.norpc -ldflags '-s -w -buildid=' -o build/bootstrap ./cmd/rotator
