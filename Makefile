# Two commands do all set-up on a fresh machine:
#   make demo   install everything, run the nightly flow over samples/calls into data/callqa.duckdb,
#               and write the QA reports of the sample calls' week into data/reports
#   make test   install everything, run the test suite
#   make lint   ruff and mypy over the code (.ci/run runs it before the tests)
#   make messages  merge the interface strings marked in the code into the Russian catalogue
VENV    ?= .venv
PYTHON  ?= python3.11
DB      ?= data/callqa.duckdb
INBOX   ?= samples/calls
STAMP   := $(VENV)/.installed
CALLQA  := $(VENV)/bin/callqa

.PHONY: demo test lint install app clean samples messages

demo: $(STAMP)
	$(CALLQA) models
	$(CALLQA) run --inbox $(INBOX) --db $(DB)
	$(CALLQA) stats --db $(DB)
	$(CALLQA) report --db $(DB) --latest
	@echo
	@echo "Sample calls are scored and stored in $(DB)."
	@echo "Next: review them in the QA app:  $(CALLQA) app --db $(DB)"

test: $(STAMP)
	$(VENV)/bin/python -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

install: $(STAMP)

$(STAMP): pyproject.toml scripts/bootstrap.sh
	PYTHON=$(PYTHON) bash scripts/bootstrap.sh $(VENV)
	touch $@

app: $(STAMP)
	$(CALLQA) app --db $(DB)

messages: $(STAMP)
	$(VENV)/bin/python scripts/messages.py

samples: $(STAMP)
	$(VENV)/bin/python samples/make_samples.py

clean:
	rm -rf $(VENV) data
