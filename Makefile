# Two set-up commands on a fresh machine: `make conformance` and `make test` (each creates .venv if missing).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: conformance test selfcheck bench tools mock clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
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

# The self-check is named first so one xdist worker starts it at once while the other runs everything else.
test: $(STAMP) tools
	$(BIN)/python -m pytest -q -n 2 --dist loadfile tests/test_selfcheck.py tests

selfcheck: $(STAMP)
	$(BIN)/conformance selfcheck

bench: $(STAMP)
	$(BIN)/python -m conformance.bench

clean:
	rm -rf $(VENV) reports/*.json reports/*.xml reports/*.html reports/*.md
