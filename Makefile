# The two quick-start commands: `make demo` and `make test`. Each creates .venv and installs what
# is missing (Python packages; Verilator/Yosys/Icarus/Tcl through apt for the RTL tests).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.finnflow-installed
# CPU build of torch; install it first so that the range in pyproject.toml keeps it.
TORCH ?= torch==2.13.0
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-slow sysdeps lint clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

sysdeps:
	@command -v verilator >/dev/null && command -v yosys >/dev/null && command -v iverilog >/dev/null && \
	  command -v tclsh >/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq verilator yosys iverilog tcl; }

demo: $(STAMP)
	$(VENV)/bin/finnflow demo

# one pytest worker per core; a test module stays on one worker, which builds its fixtures once;
# the slowest tests are listed at the end
PARALLEL := -n auto --dist loadscope --durations=20

test: $(STAMP) sysdeps
	$(VENV)/bin/pytest -q $(PARALLEL)

test-slow: $(STAMP) sysdeps
	$(VENV)/bin/pytest -q -m slow $(PARALLEL)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

clean:
	rm -rf build .pytest_cache
