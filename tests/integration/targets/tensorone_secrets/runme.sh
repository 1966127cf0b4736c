#!/usr/bin/env bash
# The API key never leaks, at -vvvv: see secrets_check.py (it uses tests/tools/checks_common.py).
set -eux
tests=${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/tensorone/cloud/tests
PYTHONPATH=$tests/tools${PYTHONPATH:+:$PYTHONPATH} exec "${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}" secrets_check.py
