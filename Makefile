# make demo: install into .venv and run the main job end to end on the embedded defaults.
# make test: install into .venv (and Debian's Chromium for the browser tests), check the import layers, run the tests.
# Both install Debian's bubblewrap: every job runs in a bwrap sandbox (SAGELOCAL_JOB_ISOLATION=none runs without).
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install bubblewrap chromium demo retrain test pipeline-json bench

$(STAMP): requirements.txt setup.py
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -U pip
	$(VENV)/bin/pip install -q -r requirements.txt
	$(VENV)/bin/pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP) bubblewrap

# A Debian package, installed only when its command is missing: $(call apt_install,COMMAND,PACKAGE)
apt_install = @command -v $(1) >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; }

bubblewrap:
	$(call apt_install,bwrap,bubblewrap)

chromium:
	$(call apt_install,chromium,chromium)

demo: install
	$(PY) scripts/demo.py $(ARGS)

# The second command: after reviewing in the portal of a running `make demo`, collect the answers and retrain.
retrain: install
	$(PY) scripts/demo.py --retrain $(ARGS)

test: install chromium
	$(VENV)/bin/lint-imports  # the layers of .importlinter
	$(PY) -m pytest

pipeline-json: install
	$(PY) scripts/build_pipeline_json.py

bench: install
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done
