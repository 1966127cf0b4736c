# tensorone.cloud developer commands. `make help` lists them.
#
#   make demo    offline demo: build + install the collection, run
#                playbooks/demo.yml against the local API emulator
#   make test    every gate (what CI runs through .ci/run)
#   make docs    the HTML docs site, in build/docs/build/html
#
# Everything is installed into project-local venvs (.venv, .venv-2.16,
# .venv-2.21) and build/ (ansible-test runs with HOME=build/matrix/<v>/home);
# outside the work tree only pip's cache is used.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ROOT  := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD := $(ROOT)/build
TOOLS := $(ROOT)/tests/tools
LOGS  := $(BUILD)/logs
# ansible-test needs the collection at .../ansible_collections/<ns>/<name>:
# COLL is the copy the static gates, docs and the tarball use; each matrix
# version gets its own copy so the three can run side by side.
COLL  := $(BUILD)/ansible_collections/tensorone/cloud
coll_of = $(BUILD)/matrix/$(1)/ansible_collections/tensorone/cloud
# ansible-test keeps unlocked shared state in ~/.ansible/test: one HOME each
home_of = $(BUILD)/matrix/$(1)/home

# --- Pythons and venvs ------------------------------------------------------
PYTHON     ?= python3
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)
# newest installed 3.12.x (ansible-core 2.20+ needs Python >= 3.12)
PYTHON312  ?= $(shell ls -d $(PYENV_ROOT)/versions/3.12.*/bin/python3.12 2>/dev/null | sort -V | tail -n1)

VENV := $(ROOT)/.venv
# Test matrix: ansible-core version -> venv, pin and controller Python.
# 2.19 is the main venv (pinned in tests/requirements-dev.txt).
MATRIX        := 2.16 2.19 2.21
CORE_PIN_2.16 := ansible-core==2.16.19
CORE_PIN_2.21 := ansible-core==2.21.5
BASE_PY_2.16  := $(PYTHON)
BASE_PY_2.21  := $(PYTHON312)
venv_of  = $(if $(filter 2.19,$(1)),$(VENV),$(ROOT)/.venv-$(1))
pyver_of = $(if $(filter 2.21,$(1)),3.12,3.11)

# The machine's pip config points at local mirrors that lack most packages,
# and pip warns about each one; drop that noise, keep everything else.
PIP_NOISE   := is ignored: it is neither a file nor a directory
pip_install  = $(1)/bin/python -m pip install --quiet $(2) 2> >(grep -v '$(PIP_NOISE)' >&2)

# ansible-test finds Pythons by name on PATH. pyenv shims of versions that
# are not selected fail at run time, so drop the shims and put real links to
# every installed 3.8-3.13 first (sanity then compiles/imports on all of them).
PATH_NO_SHIMS  := $(shell printf '%s' "$$PATH" | tr ':' '\n' | grep -v '/shims$$' | paste -sd: -)
PYLINKS        := $(BUILD)/path
TEST_PATH      := $(PYLINKS):$(PATH_NO_SHIMS)
# for .venv tools that call other .venv tools (ansible-doc, ansible-lint, ...)
VENV_PATH      := $(VENV)/bin:$(PATH_NO_SHIMS)
SANITY_PYTHONS := 3.8 3.9 3.10 3.11 3.12 3.13

.PHONY: help
help:
	@echo "make demo       run playbooks/demo.yml against the local API emulator (no key needed)"
	@echo "make demo-live  the same playbook against the real service (needs TENSORONE_API_KEY;"
	@echo "                DEMO_ARGS='-e tensorone_demo_template_id=...' for a template of yours)"
	@echo "make test       every gate, as CI runs it (.ci/run); stops at the first failure,"
	@echo "                KEEP_GOING=1 runs them all and lists every failure; SERIAL=1 runs"
	@echo "                the three ansible-core versions one after the other, not in parallel"
	@echo "make docs       build the HTML docs site into build/docs/build/html"
	@echo "make build      build the collection tarball into build/ (from the files git would commit)"
	@echo "make release-notes  changelog fragments -> changelog for the version in galaxy.yml"
	@echo "make venv       create/update .venv (tests/requirements-dev.txt)"
	@echo "single gates:   $(GATE_NAMES)"
	@echo "make clean      remove build/ (venvs stay; 'make distclean' removes them too)"

# --- venvs ------------------------------------------------------------------
.PHONY: venv venvs
venv: $(VENV)/.installed
venvs: $(foreach v,$(MATRIX),$(call venv_of,$(v))/.installed)

$(VENV)/.installed: $(ROOT)/tests/requirements-dev.txt
	@echo ">> installing the dev tools into $(VENV)"
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(call pip_install,$(VENV),-r $<)
	@$(VENV)/bin/python -m pip check
	@touch $@

$(ROOT)/.venv-%/.installed:
	@test -n "$(BASE_PY_$*)" || { echo "no Python $(call pyver_of,$*) for ansible-core $* under $(PYENV_ROOT)/versions"; exit 1; }
	@echo ">> installing $(CORE_PIN_$*) into $(ROOT)/.venv-$*"
	@test -x $(ROOT)/.venv-$*/bin/python || $(BASE_PY_$*) -m venv $(ROOT)/.venv-$*
	@$(call pip_install,$(ROOT)/.venv-$*,$(CORE_PIN_$*))
	@touch $@

# Real pythonX.Y links (see TEST_PATH), shellcheck for its sanity test, and
# a HOME per matrix version (tests/tools/prepare_test_home.sh: offline get-pip
# stand-in, ssh key). Only writes what is missing or differs: parallel gates
# read these files.
.PHONY: test-env
test-env: venvs
	@mkdir -p $(PYLINKS)
	@link() { [ "$$(readlink "$$2" 2>/dev/null)" = "$$1" ] || ln -sfn "$$1" "$$2"; }; \
	for v in $(SANITY_PYTHONS); do \
	  p=$$(ls -d $(PYENV_ROOT)/versions/$$v.*/bin/python$$v 2>/dev/null | sort -V | tail -n1); \
	  if [ -n "$$p" ]; then link "$$p" $(PYLINKS)/python$$v; else echo "note: no Python $$v under $(PYENV_ROOT)"; fi; \
	done; \
	link $(VENV)/bin/shellcheck $(PYLINKS)/shellcheck
	@$(foreach v,$(MATRIX),bash $(TOOLS)/prepare_test_home.sh $(call home_of,$(v)) $(call venv_of,$(v));)

# --- copies of the collection and the tarball -------------------------------
.PHONY: copy build
copy:
	@$(PYTHON) $(TOOLS)/sync_tree.py $(ROOT) $(COLL)

copy-%:
	@$(PYTHON) $(TOOLS)/sync_tree.py $(ROOT) $(call coll_of,$*)

# The tarball users install (built from the copy: only files git would commit).
build: copy venv
	@rm -f $(BUILD)/tensorone-cloud-*.tar.gz
	@cd $(COLL) && $(VENV)/bin/ansible-galaxy collection build --force --output-path $(BUILD) . >/dev/null
	@echo ">> built $$(ls $(BUILD)/tensorone-cloud-*.tar.gz)"

# --- make test: the gates ---------------------------------------------------
# Cheap checks first, so a broken runtime.yml fails in seconds, not minutes.
# A word with '+' is a group run_gates.sh runs in parallel (output of each
# gate shown after the group, in order). ee-check and runner-check run one
# after the other: both rebuild the tarball.
EXTRA_GATES ?= ee-check runner-check
KEEP_GOING ?=
SERIAL ?=
empty :=
space := $(empty) $(empty)
par = $(subst $(space),+,$(strip $(1)))
GATES := action-group changelog-lint lint docs-lint \
	$(call par,$(addprefix sanity-,$(MATRIX))) \
	$(call par,$(addprefix units-,$(MATRIX))) \
	$(call par,$(addprefix integration-,$(MATRIX))) \
	galaxy-importer docs-build $(EXTRA_GATES)
GATE_NAMES := $(subst +, ,$(GATES))

.PHONY: test
test:
	@KEEP_GOING=$(KEEP_GOING) SERIAL=$(SERIAL) bash $(TOOLS)/run_gates.sh "$(MAKE) -C $(ROOT)" setup $(GATES)

# venvs, links, get-pip stand-ins and every copy, before anything runs in parallel
.PHONY: setup
setup: test-env copy $(addprefix copy-,$(MATRIX))

# A gate with nothing to check yet says so; run_gates.sh lists it as skipped.
GATE_DIR := $(BUILD)/gates
skip = echo "SKIPPED: $(1)"; mkdir -p $(GATE_DIR); echo "$(1)" > $(GATE_DIR)/$@.skipped

# (8) action group `all` in meta/runtime.yml == the modules in plugins/modules
.PHONY: action-group
action-group: venv
	$(VENV)/bin/python $(TOOLS)/check_action_group.py $(ROOT)

# (6) changelog fragments and changelogs/changelog.yaml
.PHONY: changelog-lint
changelog-lint: venv copy
	cd $(COLL) && $(VENV)/bin/antsibull-changelog lint
	cd $(COLL) && $(VENV)/bin/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

# (4) ansible-lint, strictest profile (config: .ansible-lint)
.PHONY: lint
lint: venv copy
	cd $(COLL) && PATH="$(VENV_PATH)" ANSIBLE_COLLECTIONS_PATH=$(BUILD) \
	  ANSIBLE_ROLES_PATH=$(COLL)/tests/integration/targets $(VENV)/bin/ansible-lint --profile production $$([ -t 1 ] || echo --nocolor)

# (5) module docs and docs/docsite: exit code 3 on any broken reference
.PHONY: docs-lint
docs-lint: venv copy
	cd $(COLL) && PATH="$(VENV_PATH)" $(VENV)/bin/antsibull-docs lint-collection-docs --plugin-docs .

# (1) sanity with zero ignore files, every test that can run without Docker
.PHONY: $(addprefix sanity-,$(MATRIX))
$(addprefix sanity-,$(MATRIX)): sanity-%: test-env copy-%
	@if ls $(ROOT)/tests/sanity/ignore-*.txt >/dev/null 2>&1; then \
	  echo "tests/sanity/ignore-*.txt must not exist: fix the code instead"; ls $(ROOT)/tests/sanity/ignore-*.txt; exit 1; fi
	cd $(call coll_of,$*) && HOME=$(call home_of,$*) PATH="$(TEST_PATH)" $(call venv_of,$*)/bin/ansible-test sanity --venv --color no

# (2) unit tests (pytest, through ansible-test)
.PHONY: $(addprefix units-,$(MATRIX))
$(addprefix units-,$(MATRIX)): units-%: test-env copy-%
	@if ! find $(call coll_of,$*)/tests/unit -name 'test_*.py' 2>/dev/null | grep -q .; then \
	  $(call skip,no unit tests in tests/unit); else \
	  set -x; cd $(call coll_of,$*) && HOME=$(call home_of,$*) PATH="$(TEST_PATH)" \
	  $(call venv_of,$*)/bin/ansible-test units --venv --color no --python $(call pyver_of,$*); fi

# (3) integration targets against the emulator, started and stopped around
# the run; with_emulator.py writes tests/integration/integration_config.yml
.PHONY: $(addprefix integration-,$(MATRIX))
$(addprefix integration-,$(MATRIX)): integration-%: test-env copy-%
	@if ! ls -d $(call coll_of,$*)/tests/integration/targets/*/ >/dev/null 2>&1; then \
	  $(call skip,no targets in tests/integration/targets); else \
	  mkdir -p $(LOGS); set -x; cd $(call coll_of,$*) && HOME=$(call home_of,$*) PATH="$(TEST_PATH)" \
	  $(VENV)/bin/python $(TOOLS)/with_emulator.py --log $(LOGS)/emulator-integration-$*.log \
	    --integration-config tests/integration/integration_config.yml -- \
	  $(call venv_of,$*)/bin/ansible-test integration --venv --color no --python $(call pyver_of,$*); fi

# (7) galaxy-importer on the tarball: no containers, no ansible-test; it exits
# 0 even when it logs problems, so any WARNING/ERROR line fails the gate.
.PHONY: galaxy-importer
galaxy-importer: build
	@mkdir -p $(LOGS) $(BUILD)/tmp/importer
	cd $(BUILD) && PATH="$(VENV_PATH)" GALAXY_IMPORTER_CONFIG=$(ROOT)/tests/galaxy-importer.cfg \
	  GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP=$(BUILD)/tmp/importer GALAXY_IMPORTER_TMP_ROOT_DIR=$(BUILD)/tmp/importer \
	  $(VENV)/bin/python -m galaxy_importer.main $(BUILD)/tensorone-cloud-*.tar.gz 2>&1 | tee $(LOGS)/galaxy-importer.log
	@if grep -nE '(^|[^A-Za-z])(WARNING|ERROR)([^A-Za-z]|$$)' $(LOGS)/galaxy-importer.log; then \
	  echo "galaxy-importer reported the WARNING/ERROR lines above"; exit 1; fi
	@grep -q 'Importer processing completed successfully' $(LOGS)/galaxy-importer.log || \
	  { echo "galaxy-importer did not finish its import"; exit 1; }

# (10) the AWX example EE: `ansible-builder create` offline; its context installs the collection and requests
.PHONY: ee-check
ee-check: build
	PATH="$(VENV_PATH)" $(VENV)/bin/python $(TOOLS)/check_ee.py --tarball "$$(ls $(BUILD)/tensorone-cloud-*.tar.gz)"

# (11) tensorone.cloud.demo through ansible-runner, key injected as AWX does; the key in no job event or stdout
.PHONY: runner-check
runner-check: build
	PATH="$(VENV_PATH)" $(VENV)/bin/python $(TOOLS)/check_runner.py --tarball "$$(ls $(BUILD)/tensorone-cloud-*.tar.gz)"

# (9) the HTML docs site, offline, Sphinx warnings are errors
DOCS := $(BUILD)/docs
.PHONY: docs-build docs
docs-build: venv copy
	@rm -rf $(DOCS) && mkdir -m 700 -p $(DOCS)
	ANSIBLE_COLLECTIONS_PATH=$(BUILD) $(VENV)/bin/antsibull-docs sphinx-init --use-current --fail-on-error \
	  --dest-dir $(DOCS) --project "Tensor One Cloud Collection" --title "Tensor One Cloud Collection" \
	  --copyright "Tensor One collection maintainers" tensorone.cloud >/dev/null
	$(VENV)/bin/python $(TOOLS)/patch_docs_conf.py $(DOCS)/conf.py
	cd $(DOCS) && PATH="$(VENV_PATH)" ANSIBLE_COLLECTIONS_PATH=$(BUILD) ./build.sh

docs: docs-build
	@echo "docs site: $(DOCS)/build/html/index.html"

# --- the demo ---------------------------------------------------------------
# The collection as a user has it: built tarball, installed into a
# project-local collections path that is the only one Ansible looks at.
DEMO_COLLECTIONS := $(BUILD)/collections
DEMO_ENV := ANSIBLE_COLLECTIONS_PATH=$(DEMO_COLLECTIONS) ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false \
	ANSIBLE_HOME=$(BUILD)/ansible-home ANSIBLE_LOCAL_TEMP=$(BUILD)/tmp/ansible-local \
	ANSIBLE_REMOTE_TMP=$(BUILD)/tmp/ansible-remote ANSIBLE_LOCALHOST_WARNING=false \
	ANSIBLE_INVENTORY_UNPARSED_WARNING=false ANSIBLE_CALLBACK_RESULT_FORMAT=yaml \
	ANSIBLE_PYTHON_INTERPRETER=$(VENV)/bin/python PATH="$(VENV_PATH)"
DEMO_ARGS ?=

.PHONY: demo-install demo demo-live
demo-install: build
	@rm -rf $(DEMO_COLLECTIONS) && mkdir -p $(DEMO_COLLECTIONS) $(LOGS)
	@$(DEMO_ENV) $(VENV)/bin/ansible-galaxy collection install --offline -p $(DEMO_COLLECTIONS) \
	  $(BUILD)/tensorone-cloud-*.tar.gz >/dev/null
	@echo ">> installed $$(basename $(BUILD)/tensorone-cloud-*.tar.gz) into $(DEMO_COLLECTIONS)"

demo: demo-install
	@echo ">> starting the local Tensor One API emulator (random key, loopback port)"
	@$(DEMO_ENV) $(VENV)/bin/python $(TOOLS)/with_emulator.py --log $(LOGS)/emulator-demo.log -- \
	  bash $(TOOLS)/demo.sh $(DEMO_ARGS)

demo-live: demo-install
	@test -n "$${TENSORONE_API_KEY:-}" || { echo "set TENSORONE_API_KEY (and DEMO_ARGS='-e tensorone_demo_template_id=...')"; exit 1; }
	@$(DEMO_ENV) bash $(TOOLS)/demo.sh $(DEMO_ARGS)

# --- releasing ----------------------------------------------------------------
# Turns changelogs/fragments into changelogs/changelog.yaml + CHANGELOG.rst for
# the version in galaxy.yml; new modules are found through the copy in build/.
.PHONY: release-notes
release-notes: venv copy
	cd $(ROOT) && PATH="$(VENV_PATH)" ANSIBLE_COLLECTIONS_PATH=$(BUILD) $(VENV)/bin/antsibull-changelog release

.PHONY: clean distclean
clean:
	rm -rf $(BUILD)
distclean: clean
	rm -rf $(VENV) $(ROOT)/.venv-*
