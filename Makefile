# Two commands do all the set-up on a fresh machine (Python 3.11+, Java 17, Maven):
#   make demo   local Kafka broker + worker + simulated traffic; prints the metrics URL
#   make test   lint, type checks, unit tests, integration tests on a real local broker
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint unit integration bench bench-quick bench-smoke chaos-rebalance clean

$(BIN)/cxpulse: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

demo: $(BIN)/cxpulse
	$(BIN)/cxpulse demo

lint: $(BIN)/cxpulse
	$(BIN)/ruff check .
	$(BIN)/mypy

unit: $(BIN)/cxpulse
	$(BIN)/python -m pytest tests/unit tests/reference -q

integration: $(BIN)/cxpulse
	$(BIN)/python -m pytest tests/integration -q

bench: $(BIN)/cxpulse
	$(BIN)/python -m bench

bench-quick: $(BIN)/cxpulse
	$(BIN)/python -m bench --events 20000 --repeat 3 --latency-seconds 20 --memory-items 100000 --catchup-outage 60 --restart-entities 20000

bench-smoke: $(BIN)/cxpulse
	$(BIN)/python -m pytest tests/bench -q -m bench

test: lint $(BIN)/cxpulse
	$(BIN)/python -m pytest -q

# The rebalance mid-stream alone (it is in make test too), e.g. to run it in a loop.
chaos-rebalance: $(BIN)/cxpulse
	$(BIN)/python -m pytest -q -m rebalance_midstream

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
