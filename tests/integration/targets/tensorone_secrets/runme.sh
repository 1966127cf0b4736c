#!/usr/bin/env bash
# The API key never leaks, at -vvvv: see secrets_check.py.
set -eux
exec "${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}" secrets_check.py
