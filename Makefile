# The README's two commands: `make demo` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV ?= .venv
# use the active virtual environment when there is one, else create .venv
BIN := $(if $(VIRTUAL_ENV),$(VIRTUAL_ENV)/bin,$(VENV)/bin)
INSTALLED := $(BIN)/.hipdrop-installed
CORES ?= all

.PHONY: demo test install lint benchmark clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# exact versions from requirements.lock, then hipdrop itself without touching them
$(INSTALLED): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.lock
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps -e .
	touch $@

install: $(INSTALLED)

data/demo/trials.tsv: | $(INSTALLED)
	$(BIN)/hipdrop simulate data/demo

demo: $(INSTALLED) data/demo/trials.tsv
	$(BIN)/snakemake --cores $(CORES) --profile workflow/profiles/default
	$(BIN)/snakemake --cores 1 --report results/report.html
	@echo
	@echo "Summary: results/summary.txt"
	@echo "Results: results/stances.parquet (and .csv), results/stats/ (effects, arm_effects, manipulation, subjects,"
	@echo "         control, reference, dose_response, responders, power, waveforms), results/qc/quarantine.csv,"
	@echo "         results/figures/, results/runners/,"
	@echo "         results/methods.md"
	@echo "Report:  results/report.html   (truth of the simulated cohort: data/demo/truth.json)"

test: $(INSTALLED)
	$(BIN)/python -m pytest -q

lint: $(INSTALLED)
	$(BIN)/snakemake --lint

benchmark: $(INSTALLED)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf results .snakemake
