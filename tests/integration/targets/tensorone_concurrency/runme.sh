#!/usr/bin/env bash
# Concurrent and interrupted runs at -vvvv: see concurrency.py (it calls the emulator through tests/emulator/control.py).
set -eux
PYTHONPATH=${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/tensorone/cloud/tests/emulator${PYTHONPATH:+:$PYTHONPATH} \
    exec "${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}" concurrency.py
