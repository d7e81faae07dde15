# The README's two commands: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WAVE   ?= 1

.PHONY: demo test lab notebooks venv clean-venv

$(STAMP): pyproject.toml constraints.txt
	@echo "==> creating $(VENV) with $(PYTHON) and installing pinned dependencies"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/workbench demo surveys/demo --if-missing
	$(BIN)/workbench run surveys/demo --wave $(WAVE) --reports reports --force

test: $(STAMP)
	$(BIN)/python -m pytest

# Execute every notebook headless for the demo (or STUDY=... WAVE=...); executed copies
# go to reports/<study>/notebooks/<wave>/, the committed notebooks stay without outputs.
STUDY ?= surveys/demo
notebooks: $(STAMP)
	$(BIN)/workbench demo surveys/demo --if-missing
	@mkdir -p reports/$(notdir $(STUDY))/notebooks/$(WAVE)
	@for nb in notebooks/*.ipynb; do \
	  echo "==> $$nb"; \
	  $(BIN)/papermill --cwd notebooks --no-progress-bar "$$nb" \
	    "reports/$(notdir $(STUDY))/notebooks/$(WAVE)/$$(basename $$nb)" \
	    -p study "$(abspath $(STUDY))" -p wave "$(WAVE)" || exit 1; \
	done
	@echo "executed notebooks in reports/$(notdir $(STUDY))/notebooks/$(WAVE)/"

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

clean-venv:
	rm -rf $(VENV)
