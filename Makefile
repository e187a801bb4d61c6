# Two set-up commands on a fresh machine: `make conformance` and `make test` (each creates .venv if missing).
# The interpreter for .venv: python3 when it is 3.11 or newer, else the newest python3.1x (PATH or pyenv).
PYTHON ?= $(shell sh tests/pythons.sh --best)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: conformance test other-pythons selfcheck bench tools node prism linters mock clean

# Bytecode is written once, in parallel: where PYTHONDONTWRITEBYTECODE is set (as on our machines), every process would
# otherwise compile all it imports again, about a CPU-second a run.
$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11, 3.12 or 3.13 is required and none was found (set PYTHON=...)"; exit 2; }
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 or newer is required ($(PYTHON) not found)"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -e '.[dev]'
	$(BIN)/python -m compileall -q -j0 $(VENV)/lib conformance
	touch $(STAMP)

conformance: $(STAMP)
	$(BIN)/conformance run

mock: $(STAMP)
	$(BIN)/conformance mock --port 8080

# Tools the tests use: chromium opens report.html in a real headless browser, curl sends the docs' own examples.
# Installed from Debian when missing; a test never skips for want of them.
tools:
	@command -v chromium >/dev/null && command -v curl >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq chromium curl >/dev/null; }
	@command -v chromium >/dev/null && command -v curl >/dev/null || \
		{ echo "chromium and curl are required by the tests and could not be installed"; exit 2; }

# Node and npm from Debian, for the tools below; after `tools`, so that two apt-get never run at once.
node: | tools
	@command -v node >/dev/null && command -v npm >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }

# Stoplight Prism, the stateless mock many teams use, for tests/test_prism.py. 5.14.2 is the last release that runs
# on Debian's Node 20 (later ones need Node 24). Installed into the project's own folder; Node/npm from Debian.
PRISM_VERSION := 5.14.2
PRISM := .tools/prism/node_modules/.bin/prism
prism: $(PRISM)
$(PRISM): | node
	npm install --silent --no-audit --no-fund --prefix .tools/prism @stoplight/prism-cli@$(PRISM_VERSION)
	@test -x $(PRISM) || { echo "Prism could not be installed into .tools/prism"; exit 2; }

# The contract's linters, for tests/test_contract_lint.py: Spectral (spectral:oas) and Redocly CLI (recommended), the
# last releases that run on Debian's Node 20, installed like Prism. Redocly is told to send no telemetry (the test).
SPECTRAL_VERSION := 6.16.3
REDOCLY_VERSION := 2.77.0
SPECTRAL := .tools/spectral/node_modules/.bin/spectral
REDOCLY := .tools/redocly/node_modules/.bin/redocly
linters: $(SPECTRAL) $(REDOCLY)
$(SPECTRAL): | node
	npm install --silent --no-audit --no-fund --prefix .tools/spectral @stoplight/spectral-cli@$(SPECTRAL_VERSION)
	@test -x $(SPECTRAL) || { echo "Spectral could not be installed into .tools/spectral"; exit 2; }
$(REDOCLY): | node
	npm install --silent --no-audit --no-fund --prefix .tools/redocly @redocly/cli@$(REDOCLY_VERSION)
	@test -x $(REDOCLY) || { echo "Redocly CLI could not be installed into .tools/redocly"; exit 2; }

# The installs run side by side (pip's and the three npm ones wait mostly on the registries). The self-check and the
# other Pythons' installs are named first so workers start them at once; the rest fills in, two tests at a time to a
# worker (xdist's first batches would queue a third of the suite behind the self-check).
test:
	@$(MAKE) --no-print-directory -j4 $(STAMP) tools prism linters
	$(BIN)/python -m pytest -q -n 4 --dist load --maxschedchunk 2 -m 'not sweep' -rf tests/test_selfcheck.py tests/test_other_pythons.py tests

# The wheel, installed into a fresh venv, passes a quick run on every other Python 3.11-3.13 of this machine.
other-pythons: $(STAMP)
	sh tests/other_pythons.sh $(BIN)/python

# Every fault and legal variant under three seeds, at 1 and at 8 requests in flight (make test runs one seed); then
# each server's default-run traffic judged passively by `conformance judge`.
selfcheck: $(STAMP) tools
	$(BIN)/conformance selfcheck --seeds 3 --concurrency 1,8
	$(BIN)/conformance selfcheck --traffic --out reports/selfcheck-traffic.json
	$(BIN)/python -m pytest -q -n 2 -m sweep tests/test_traffic.py

bench: $(STAMP)
	$(BIN)/python -m conformance.bench

clean:
	rm -rf $(VENV) reports/*.json reports/*.xml reports/*.html reports/*.md
