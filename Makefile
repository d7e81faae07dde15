# The README's two commands: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WAVE   ?= 2

.PHONY: demo test lab notebooks venv clean-venv tools

# LibreOffice renders the decks to PDF/PNG and recalculates the Excel typing tool in the
# tests; poppler (pdftoppm, pdftotext) reads the PDFs; Java runs Spark for the behaviour
# engine tests. Installed with apt when missing. `make demo` needs none of them.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_TOOLS := libreoffice-impress libreoffice-calc poppler-utils fonts-dejavu-core fonts-liberation2
DEBIAN_JAVA := openjdk-17-jre-headless

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
	$(BIN)/workbench run surveys/demo --wave 1 --reports reports --force
	$(BIN)/workbench run surveys/demo --wave 2 --reports reports --force

test: $(STAMP) tools
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=60

tools: $(STAMP)
	@if command -v soffice >/dev/null && command -v pdftoppm >/dev/null && command -v java >/dev/null; then :; \
	elif command -v apt-get >/dev/null; then \
	  echo "==> installing LibreOffice, poppler and Java with apt (deck rendering, Excel recalculation, Spark)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    --no-install-recommends $(DEBIAN_TOOLS) $(DEBIAN_JAVA) >/dev/null; \
	else \
	  echo "warning: no apt-get: install LibreOffice (soffice), poppler (pdftoppm) and Java 17 yourself;" \
	       "the rendering and Spark tests are skipped without them" >&2; \
	fi
	@# the Spark extra (pyspark, ~300 MB) for the behaviour engine tests, at its pin
	@$(BIN)/python -c "import pyspark" 2>/dev/null || { echo "==> installing the Spark extra (pyspark)"; \
	  $(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,spark]"; }

# Execute every notebook headless for the demo (or STUDY=... WAVE=...); executed copies
# go to reports/<study>/notebooks/<wave>/, the committed notebooks stay without outputs.
STUDY ?= surveys/demo
notebooks: $(STAMP) tools
	@if [ "$(STUDY)" = surveys/demo ] && [ ! -f reports/demo/2/manifest.json ]; then $(MAKE) --no-print-directory demo; fi
	@mkdir -p reports/$(notdir $(STUDY))/notebooks/$(WAVE)
	@for nb in notebooks/*.ipynb; do \
	  echo "==> $$nb"; \
	  extra=""; if grep -q '"reports = ' "$$nb"; then extra="-p reports $(abspath reports)"; fi; \
	  $(BIN)/papermill --cwd notebooks --no-progress-bar "$$nb" \
	    "reports/$(notdir $(STUDY))/notebooks/$(WAVE)/$$(basename $$nb)" \
	    -p study "$(abspath $(STUDY))" -p wave "$(WAVE)" $$extra || exit 1; \
	done
	@echo "executed notebooks in reports/$(notdir $(STUDY))/notebooks/$(WAVE)/"

# Jupyter refuses to start as root without --allow-root (containers, CI): add it for uid 0.
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) notebooks/

clean-venv:
	rm -rf $(VENV)
