# The two front-door commands: `make run` (set up, then process raw/) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup chromium run test lint clean

$(BIN)/.installed: pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

setup: $(BIN)/.installed

run: setup
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/python -m pipeline run --raw raw --out processed

# Headless Chromium renders the HTML report in a test; installed (as root, apt) only when missing.
chromium:
	.ci/ensure_chromium.sh

test: setup chromium
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf processed/documents processed/entities processed/embeddings processed/pairs processed/dumps.parquet processed/_tmp
