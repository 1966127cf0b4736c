#!/usr/bin/env bash
# Concurrent and interrupted runs at -vvvv: see concurrency.py.
set -eux
exec "${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}" concurrency.py
