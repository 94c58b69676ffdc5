# The project's entry points. Each installs what it needs.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo demo-toolchain test test-pulumi-newest bench toolchain venv lint docs clean

## demo: policy-checked preview, up, read-back, refresh and destroy of the demo stack
demo: venv demo-toolchain
	scripts/with-services.sh $(PY) scripts/demo.py

# What the demo runs, and nothing more: pulumi, its Python language host, livekit-server, Redis.
demo-toolchain:
	scripts/build-toolchain.sh pulumi language-host livekit
	scripts/ensure-system-packages.sh demo

# The newest Pulumi CLI the Go module proxy serves, and the newest Python SDK and pulumi-policy
# on PyPI (the pinned ones are in scripts/toolchain-env.sh and pyproject.toml).
PULUMI_NEWEST_CLI ?= 3.276.0
PULUMI_NEWEST_SDK ?= 3.272.0
PULUMI_NEWEST_POLICY ?= 1.21.0

## test: the whole suite against the real pulumi engine and a real livekit-server, then the CLI
## suite again against the newest Pulumi release
test: venv toolchain
	$(PY) -m pytest
	scripts/test-pulumi-release.sh $(PULUMI_NEWEST_CLI) $(PULUMI_NEWEST_SDK) $(PULUMI_NEWEST_POLICY)

## test-pulumi-newest: only the CLI suite (tests/e2e/cli) against the newest Pulumi release
test-pulumi-newest: venv toolchain
	scripts/test-pulumi-release.sh $(PULUMI_NEWEST_CLI) $(PULUMI_NEWEST_SDK) $(PULUMI_NEWEST_POLICY)

## bench: benchmarks (figures, not pass/fail); knobs BENCH_SIZES, BENCH_REPEAT, ... in bench/run.py
bench: venv toolchain
	scripts/with-services.sh $(PY) bench/run.py

# Every supported livekit-server release (newest and oldest) and an oracle for each.
toolchain:
	scripts/build-toolchain.sh pulumi language-host livekit-releases
	scripts/build-sip-oracle.sh all
	scripts/build-sip-bridge.sh
	scripts/build-yaml-host.sh
	scripts/build-nodejs-host.sh
	scripts/build-go-sdk-gen.sh
	scripts/ensure-system-packages.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	scripts/setup-venv.sh $(VENV)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy components/livekit_sip_pulumi policies/livekit_sip_policies policies/livekit_sip_core scripts/gen_rules_doc.py

docs: venv
	$(PY) scripts/gen_rules_doc.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .pulumi-releases
