#!/usr/bin/env bash
# Concurrent and interrupted runs at -vvvv: see concurrency.py (it uses tests/emulator/control.py and tests/tools/checks_common.py).
set -eux
tests=${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/tensorone/cloud/tests
PYTHONPATH=$tests/emulator:$tests/tools${PYTHONPATH:+:$PYTHONPATH} exec "${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}" concurrency.py
