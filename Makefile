# tensorone.cloud developer commands; `make help` lists them. Everything goes into
# .venv (the tools, ansible-core 2.19), .venv-<v> (the other ansible-core versions) and build/.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ROOT   := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD  := $(ROOT)/build
TOOLS  := $(ROOT)/tests/tools
LOGS   := $(BUILD)/logs
VENV   := $(ROOT)/.venv
PYTHON ?= python3
# the copy the static gates, the docs and the tarball use (the tools want .../ansible_collections/<namespace>/<name>)
COLL    := $(BUILD)/ansible_collections/tensorone/cloud
TARBALL  = $(BUILD)/tensorone-cloud-$(shell sed -n 's/^version: *//p' $(ROOT)/galaxy.yml).tar.gz

# ansible-core versions tested: every one meta/runtime.yml's requires_ansible admits, each at its
# newest patch release (2.19's pin is in tests/requirements-dev.txt), with the venv and controller Python of each.
CORES     := 2.16 2.17 2.18 2.19 2.20 2.21
CORE_2.16 := ansible-core==2.16.19
CORE_2.17 := ansible-core==2.17.14
CORE_2.18 := ansible-core==2.18.19
CORE_2.20 := ansible-core==2.20.10
CORE_2.21 := ansible-core==2.21.5
venv_of    = $(if $(filter 2.19,$(1)),$(VENV),$(ROOT)/.venv-$(1))
pyver_of   = $(if $(filter 2.20 2.21,$(1)),3.12,3.11)
# make test: sanity and units on every core; integration on the oldest, the newest and the tools' core.
# make test-cores: integration on every core.
INTEGRATION_CORES := 2.16 2.19 2.21

# Unit suites that exercise module_utils and the emulator, not ansible-core: once, with pytest in .venv.
UNITS_ONCE := tests/unit/emulator tests/unit/plugins/module_utils/test_faults.py \
	tests/unit/plugins/module_utils/test_endpoint_model.py tests/unit/plugins/module_utils/test_endpoint_apply.py \
	tests/unit/plugins/module_utils/test_endpoint_fidelity.py tests/unit/plugins/module_utils/test_safety.py \
	tests/unit/plugins/module_utils/test_stateful.py tests/unit/plugins/module_utils/test_stateful_model.py \
	tests/unit/plugins/test_option_docs.py
# The others (AnsibleModule, argument specs, the user agent): on every ansible-core version.
UNITS_EVERY_CORE = $(filter-out $(UNITS_ONCE) tests/unit/emulator/%,$(shell cd $(ROOT) && find tests/unit -name 'test_*.py' | sort))

# cheap checks first, then the longest gates, the shorter ones last to fill the gaps
GATES := action-group format docs-generated changelog-lint lint docs-lint units-once $(INTEGRATION_CORES:%=integration-%) integration-documented \
	$(CORES:%=sanity-%) $(CORES:%=units-%) galaxy-importer docs-build ee-check runner-check
# make test-cores: what a release needs beyond make test (the README's release steps)
CORES_GATES := $(CORES:%=integration-%) $(CORES:%=tarball-%)
JOBS ?= 2
KEEP_GOING ?= 1
TARGETS ?=
.PHONY: help test format test-cores soak venv venvs pythons copy build docs demo-install demo demo-live release-notes clean distclean $(GATES) $(CORES_GATES)

help:  ## this list
	@sed -n -e 's/^\([a-z][^:]*\):.*## /make \1\t/p' -e 's/^$$(CORES:%=\([a-z]*\)-%).*## /make \1-<v>\t/p' \
	  $(MAKEFILE_LIST) | expand -t 22
	echo "<v>: $(CORES). make test runs, in this order: $(GATES)"
	echo "make test-cores runs: $(CORES_GATES)"

# --- make test --------------------------------------------------------------------
# Two gates at a time (two cores; the drain and fault tests are timing-sensitive), all of them
# even after a failure, each one's output in one piece. A gate's recipe starts with $(gate):
# its exit code and seconds go to build/gates/<gate> for the summary; its commands show.
GATE_DIR := $(BUILD)/gates
gate = @mkdir -p $(GATE_DIR); trap '{ rc=$$?; set +x; } 2>/dev/null; echo "$$rc $$SECONDS" > $(GATE_DIR)/$@' EXIT; set -x

# run_gates(name, gates): the gates, JOBS at a time, then a line per gate and the verdict
define run_gates
@rm -rf $(GATE_DIR); start=$$SECONDS
$(MAKE) -j$(JOBS) --output-sync=target $(if $(filter 0,$(KEEP_GOING)),,--keep-going) $(2) || true
passed=0; failed=0; echo; echo "make $(1): $$((SECONDS - start)) s"
for g in $(2); do
  rc=; seconds=; [ ! -f $(GATE_DIR)/$$g ] || read -r rc seconds < $(GATE_DIR)/$$g
  case $$rc in 0) passed=$$((passed + 1)); status=passed;; "") failed=$$((failed + 1)); status="not run";; *) failed=$$((failed + 1)); status=FAILED;; esac
  printf '  %-8s %-16s %5s\n' "$$status" $$g "$${seconds:+$$seconds s}"
done
echo "$$passed passed, $$failed failed"
[ $$failed -eq 0 ]
endef
test:  ## every gate, as CI runs it (.ci/run); JOBS=1: one at a time; KEEP_GOING=0: no new gate after a failure
	$(call run_gates,test,$(GATES))
test-cores:  ## before a release: integration on every ansible-core, and the tarball installed and run on each (same JOBS, KEEP_GOING)
	$(call run_gates,test-cores,$(CORES_GATES))

# --- this machine's workarounds (CI runs on the same image) -----------------------
# 1. pip: the machine's pip config names local mirrors that lack most packages; their warnings are dropped.
pip_install = $(1)/bin/python -m pip install --quiet $(2) 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
# 2. Pythons: ansible-core 2.20+ needs Python >= 3.12, found under pyenv. ansible-test finds
#    interpreters by name on PATH, where pyenv's shims of versions not selected fail: it gets a
#    PATH without them, with python3.X links in build/path (sanity compiles and imports on 3.8
#    to 3.13) and shellcheck (its sanity test passes silently without it).
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)
BASE_PY_3.11 := $(PYTHON)
BASE_PY_3.12 ?= $(shell ls -d $(PYENV_ROOT)/versions/3.12.*/bin/python3.12 2>/dev/null | sort -V | tail -n1)
PYLINKS   := $(BUILD)/path
TEST_PATH := $(PYLINKS):$(shell printf '%s' "$$PATH" | tr ':' '\n' | grep -v '/shims$$' | paste -sd: -)
VENV_PATH := $(VENV)/bin:$(TEST_PATH)
pythons: venv
	@mkdir -p $(PYLINKS)
	link() { [ "$$(readlink "$$2")" = "$$1" ] || ln -sfn "$$1" "$$2"; }
	for v in 3.8 3.9 3.10 3.11 3.12 3.13; do
	  p=$$(ls -d $(PYENV_ROOT)/versions/$$v.*/bin/python$$v 2>/dev/null | sort -V | tail -n1)
	  if [ -n "$$p" ]; then link "$$p" $(PYLINKS)/python$$v; else echo "note: no Python $$v under $(PYENV_ROOT)"; fi
	done
	link $(VENV)/bin/shellcheck $(PYLINKS)/shellcheck
# 3. ansible-test --venv fetches get-pip.py from a host this machine cannot reach, unless
#    ~/.ansible/test/cache/get_pip_<X_Y_Z>.py exists: each gate's HOME gets
#    tests/tools/get_pip_standin.py there for every pip version its ansible-test asks for.
#    The gates share pip's cache (created if missing: the gates' pips would run without one).
define test_home
pip_cache=$${PIP_CACHE_DIR:-$${XDG_CACHE_HOME:-$$HOME/.cache}/pip}
mkdir -p $(1)/.ansible/test/cache $(1)/.cache "$$pip_cache"
ln -sfn "$$pip_cache" $(1)/.cache/pip
for pip in $$(grep -ohE "pip='[0-9.]+'" $(2)/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | tr -dc '0-9.\n'); do
  cp $(TOOLS)/get_pip_standin.py $(1)/.ansible/test/cache/get_pip_$${pip//./_}.py
done
endef

# --- venvs and copies -----------------------------------------------------------------
venv: $(VENV)/.installed  ## create/update .venv (tests/requirements-dev.txt)
venvs: $(foreach v,$(CORES),$(call venv_of,$(v))/.installed)
$(VENV)/.installed: $(ROOT)/tests/requirements-dev.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(call pip_install,$(VENV),-r $<)
	$(VENV)/bin/python -m pip check
	touch $@
$(ROOT)/.venv-%/.installed:
	@base=$(BASE_PY_$(call pyver_of,$*))
	test -n "$$base" || { echo "no Python $(call pyver_of,$*) for ansible-core $* under $(PYENV_ROOT)/versions"; exit 1; }
	test -x $(@D)/bin/python || $$base -m venv $(@D)
	$(call pip_install,$(@D),$(CORE_$*))
	touch $@

# copy_to(dest): the files git would commit, as they are now, in DEST, a git repository of its
# own (ansible-test and ansible-lint look upwards for .git, and would find this one's, which ignores build/)
copy_to = rm -rf $(1) && git init -q $(1) && git -C $(ROOT) ls-files -z --cached --others --exclude-standard \
	| tar -C $(ROOT) --null -T - --ignore-failed-read -cf - | tar -C $(1) -xf -
copy:
	@$(call copy_to,$(COLL))

# A gate that runs tests works in a copy and a HOME of its own under build/<gate>/ (ansible-test
# keeps unlocked state in tests/output/ and ~/.ansible/test, and two gates may run at once).
define own_copy
{ set +x; } 2>/dev/null
$(call copy_to,$(BUILD)/$@/ansible_collections/tensorone/cloud)
$(call test_home,$(BUILD)/$@/home,$(1))
cd $(BUILD)/$@/ansible_collections/tensorone/cloud
export HOME=$(BUILD)/$@/home PATH="$(TEST_PATH)"
echo "+ in build/$@/ansible_collections/tensorone/cloud, HOME=build/$@/home"
set -x
endef

build: copy venv  ## the collection tarball, in build/ (the files git would commit)
	@rm -f $(BUILD)/tensorone-cloud-*.tar.gz
	cd $(COLL) && $(VENV)/bin/ansible-galaxy collection build --force --output-path $(BUILD) . >/dev/null
	echo ">> built $(TARBALL)"

# --- the gates --------------------------------------------------------------------------
action-group: venv  ## meta/runtime.yml's action group `all` lists exactly the modules
	$(gate)
	$(VENV)/bin/python $(TOOLS)/check_action_group.py $(ROOT)

docs-generated: venv  ## the docs tests/tools/generate_docs.py copies from one source (item options, role options, shared return values) are up to date
	$(gate)
	$(VENV)/bin/python $(TOOLS)/generate_docs.py --check --root $(ROOT)

format: venv  ## ruff: the Python files formatted and linted as ruff.toml says (ruff format; ruff check --fix to mend)
	$(gate)
	cd $(ROOT) && $(VENV)/bin/ruff format --check --diff . && $(VENV)/bin/ruff check .

changelog-lint: venv copy  ## changelog fragments and changelogs/changelog.yaml
	$(gate)
	cd $(COLL)
	$(VENV)/bin/antsibull-changelog lint
	$(VENV)/bin/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

lint: venv  ## ansible-lint as it runs at the root of a clone (.ansible-lint; it installs the collection into .ansible/)
	$(gate)
	$(call own_copy,$(VENV))
	PATH="$(VENV_PATH)" ansible-lint $$([ -t 1 ] || echo --nocolor)

docs-lint: venv copy  ## module docs and docs/docsite: exit code 3 on any broken reference
	$(gate)
	cd $(COLL) && PATH="$(VENV_PATH)" antsibull-docs lint-collection-docs --plugin-docs .

units-once: venv  ## the unit suites in UNITS_ONCE, with pytest
	$(gate)
	$(call own_copy,$(VENV))
	PYTHONPATH=$(BUILD)/$@ $(VENV)/bin/python -m pytest -q -p no:cacheprovider $(UNITS_ONCE)

# The stateful test's long budget (its quick one runs in units-once): random seeds, or SOAK_SEEDS=1,2;
# SOAK_EXAMPLES examples of SOAK_STEPS steps per seed and emulator profile. It prints its figures.
SOAK_SEED_COUNT ?= 4
SOAK_EXAMPLES ?= 100
SOAK_STEPS ?= 60
soak: venv  ## random playbooks under faults: the stateful test's long budget (random seeds, thousands of steps); prints its figures
	@$(call own_copy,$(VENV))
	TENSORONE_STATEFUL=long TENSORONE_STATEFUL_SEEDS=$${SOAK_SEEDS:-} TENSORONE_STATEFUL_SEED_COUNT=$(SOAK_SEED_COUNT) \
	  TENSORONE_STATEFUL_EXAMPLES=$(SOAK_EXAMPLES) TENSORONE_STATEFUL_STEPS=$(SOAK_STEPS) PYTHONPATH=$(BUILD)/$@ \
	  $(VENV)/bin/python -m pytest -q -s -p no:cacheprovider tests/unit/plugins/module_utils/test_stateful.py

# each core's gates: that core's venv (and, through pythons, .venv: the emulator, shellcheck)
$(foreach v,$(CORES),$(eval sanity-$(v) units-$(v) integration-$(v) tarball-$(v): $(call venv_of,$(v))/.installed))

$(CORES:%=sanity-%): sanity-%: pythons  ## sanity with no ignore files, every test that runs without containers
	$(gate)
	if ls $(ROOT)/tests/sanity/ignore-*.txt 2>/dev/null; then echo "tests/sanity/ignore-*.txt must not exist: fix the code instead"; exit 1; fi
	$(call own_copy,$(call venv_of,$*))
	$(call venv_of,$*)/bin/ansible-test sanity --venv --color no

$(CORES:%=units-%): units-%: pythons  ## the unit tests not in UNITS_ONCE
	$(gate)
	$(call own_copy,$(call venv_of,$*))
	$(call venv_of,$*)/bin/ansible-test units --venv --color no --python $(call pyver_of,$*) $(UNITS_EVERY_CORE)

# integration_run(version, profile): every target (or TARGETS=...) against the emulator serving that profile
define integration_run
$(call own_copy,$(call venv_of,$(1)))
mkdir -p $(LOGS)
$(VENV)/bin/python $(ROOT)/tests/emulator/launch.py --profile $(2) --log $(LOGS)/emulator-$@.log --integration-config tests/integration/integration_config.yml -- \
  $(call venv_of,$(1))/bin/ansible-test integration --venv --color no --python $(call pyver_of,$(1)) $(TARGETS)
endef
$(CORES:%=integration-%): integration-%: pythons  ## every target (or TARGETS=...) against the emulator (the real schema)
	$(gate)
	$(call integration_run,$*,full)

# The documented profile changes the service, not ansible-core: one version proves it.
integration-documented: pythons  ## every target on ansible-core 2.19 against a service with only the documented fields
	$(gate)
	$(call integration_run,2.19,documented)

galaxy-importer: build  ## galaxy-importer on the tarball, no containers; any WARNING or ERROR line fails
	$(gate)
	mkdir -p $(LOGS) $(BUILD)/tmp/importer
	cd $(BUILD)
	PATH="$(VENV_PATH)" GALAXY_IMPORTER_CONFIG=$(ROOT)/tests/galaxy-importer.cfg GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP=$(BUILD)/tmp/importer \
	  GALAXY_IMPORTER_TMP_ROOT_DIR=$(BUILD)/tmp/importer $(VENV)/bin/python -m galaxy_importer.main $(TARBALL) 2>&1 | tee $(LOGS)/$@.log
	if grep -nE '(^|[^A-Za-z])(WARNING|ERROR)([^A-Za-z]|$$)' $(LOGS)/$@.log; then echo "galaxy-importer logged the lines above"; exit 1; fi
	grep -q 'Importer processing completed successfully' $(LOGS)/$@.log || { echo "galaxy-importer did not finish its import"; exit 1; }

DOCS := $(BUILD)/docs
docs-build: venv copy  ## the HTML docs site, offline, Sphinx warnings are errors
	$(gate)
	rm -rf $(DOCS) && mkdir -m 700 -p $(DOCS)
	export ANSIBLE_COLLECTIONS_PATH=$(BUILD) PATH="$(VENV_PATH)"
	antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir $(DOCS) --project "Tensor One Cloud Collection" \
	  --title "Tensor One Cloud Collection" --copyright "Tensor One collection maintainers" tensorone.cloud >/dev/null
	# Offline: no intersphinx inventories (they live online); the two labels and ansible-core's environment
	# variables that only docs.ansible.com defines render as plain text; any other dangling reference fails.
	grep -qx 'intersphinx_mapping = {' $(DOCS)/conf.py || { echo "conf.py: no intersphinx_mapping block; has antsibull-docs changed its template?"; exit 1; }
	sed -i '/^intersphinx_mapping = {$$/,/^}$$/c intersphinx_mapping = {}' $(DOCS)/conf.py
	printf '%s\n' "nitpick_ignore = [('ref', 'ansible_configuration_settings'), ('ref', 'common_return_values')]" \
	  "nitpick_ignore_regex = [('envvar', r'ANSIBLE_[A-Z0-9_]+')]" >> $(DOCS)/conf.py
	cd $(DOCS) && ./build.sh
docs: docs-build  ## the HTML docs site, in build/docs/build/html
	@echo "docs site: $(DOCS)/build/html/index.html"

ee-check: build  ## the AWX example EE: `ansible-builder create`; its context, nothing downloaded, installs the collection and requests
	$(gate)
	PATH="$(VENV_PATH)" $(VENV)/bin/python $(TOOLS)/check_ee.py --tarball $(TARBALL)

runner-check: build  ## tensorone.cloud.demo through ansible-runner, key injected as AWX does; the key in no job event or stdout
	$(gate)
	PATH="$(VENV_PATH)" $(VENV)/bin/python $(TOOLS)/check_runner.py --tarball $(TARBALL)

# --- the demo: the collection as a user has it (the tarball, installed) ------------------
# demo_env(dir, venv): collections installed in DIR only, Ansible from VENV
demo_env = ANSIBLE_COLLECTIONS_PATH=$(1)/collections ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false ANSIBLE_HOME=$(1)/ansible-home \
	ANSIBLE_LOCAL_TEMP=$(1)/tmp/ansible-local ANSIBLE_REMOTE_TMP=$(1)/tmp/ansible-remote ANSIBLE_LOCALHOST_WARNING=false \
	ANSIBLE_INVENTORY_UNPARSED_WARNING=false ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_PYTHON_INTERPRETER=$(VENV)/bin/python \
	PATH="$(2)/bin:$(TEST_PATH)"
DEMO_ENV := $(call demo_env,$(BUILD),$(VENV))
DEMO_PLAY = ansible-playbook tensorone.cloud.demo --diff $(DEMO_ARGS)
demo-install: build
	@rm -rf $(BUILD)/collections && mkdir -p $(BUILD)/collections $(LOGS)
	$(DEMO_ENV) ansible-galaxy collection install --offline -p $(BUILD)/collections $(TARBALL) >/dev/null
	echo ">> installed $(notdir $(TARBALL)) into $(BUILD)/collections"
demo: demo-install  ## playbooks/demo.yml against the local API emulator (no key needed)
	@echo ">> $(DEMO_PLAY), against the local API emulator (random key, loopback port)"
	$(DEMO_ENV) python $(ROOT)/tests/emulator/launch.py --log $(LOGS)/emulator-demo.log --show-state -- $(DEMO_PLAY)
demo-live: demo-install  ## the same against the service: TENSORONE_API_KEY, DEMO_ARGS='-e tensorone_demo_image=... -e tensorone_demo_image_next=...'
	@test -n "$${TENSORONE_API_KEY:-}" || { echo "set TENSORONE_API_KEY (and DEMO_ARGS='-e tensorone_demo_image=... -e tensorone_demo_image_next=...')"; exit 1; }
	echo ">> $(DEMO_PLAY), against $${TENSORONE_API_URL:-the Tensor One API}"
	$(DEMO_ENV) $(DEMO_PLAY)

# The tarball on each core, as users get it: that core's ansible-galaxy installs it and its
# ansible-playbook plays tensorone.cloud.demo (which checks each step) against the emulator.
# The modules run on .venv's Python, which has requests (a core's venv has only ansible-core).
$(CORES:%=tarball-%): tarball-%: build pythons  ## the built tarball installed and the demo played with ansible-core <v>
	$(gate)
	rm -rf $(BUILD)/$@ && mkdir -p $(BUILD)/$@/collections $(LOGS)
	$(call demo_env,$(BUILD)/$@,$(call venv_of,$*)) ansible-galaxy collection install --offline -p $(BUILD)/$@/collections $(TARBALL)
	$(call demo_env,$(BUILD)/$@,$(call venv_of,$*)) $(VENV)/bin/python $(ROOT)/tests/emulator/launch.py --log $(LOGS)/emulator-$@.log --show-state -- \
	  ansible-playbook tensorone.cloud.demo -e ansible_python_interpreter=$(VENV)/bin/python

release-notes: venv copy  ## changelog fragments -> changelogs/changelog.yaml + CHANGELOG.rst, for galaxy.yml's version
	cd $(ROOT) && PATH="$(VENV_PATH)" ANSIBLE_COLLECTIONS_PATH=$(BUILD) antsibull-changelog release
clean:  ## remove build/ (distclean: the venvs too)
	rm -rf $(BUILD)
distclean: clean
	rm -rf $(VENV) $(ROOT)/.venv-*
