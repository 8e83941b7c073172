# The two commands of the README:
#   make demo   - end-to-end offline demo (creates .venv, renders a demo library, indexes, searches)
#   make test   - the whole test suite, including the Label Studio + browser integration tests
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip -q --disable-pip-version-check
SRC    := $(shell find src -name '*.py') pyproject.toml constraints.txt

.PHONY: demo app test test-fast install labeling-deps bench clean

# torch first, from the pinned CPU wheel; everything else under a constraint keeping it there.
$(VENV)/.installed: $(SRC)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install torch==2.13.0
	$(PIP) install -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -c constraints.txt -e ".[test,labeling]"
	touch $@

install: $(VENV)/.installed

demo: install
	BIN=$(BIN) bash scripts/demo.sh

# The web app over the demo library (renders and indexes it first if `make demo` has not run).
app: install
	test -f build/demo/index/manifest.json || BIN=$(BIN) bash scripts/demo.sh
	TIMBRE_HOME=build/demo/home $(BIN)/timbre app --index build/demo/index

# Label Studio server (own virtualenv) and a Chromium for the integration tests; where either cannot be
# installed (macOS has no apt) the script says why and those tests skip with the same reason.
labeling-deps:
	bash labeling/install_test_deps.sh

test: $(VENV)/.installed-test labeling-deps
	$(BIN)/python -m pytest -ra

test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -ra -m "not slow"

clean:
	rm -rf build .pytest_cache
