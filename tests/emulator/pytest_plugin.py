# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Pytest fixtures for any test folder. In a conftest.py:
#   from ansible_collections.tensorone.cloud.tests.emulator.pytest_plugin import emulator  # noqa: F401
# Kept out of __init__ so the command line never needs pytest.

import pytest

from .server import EmulatorServer

API_KEY = "emulator-test-key-7f3c9a51"
READ_ONLY_KEY = "emulator-read-only-key-2b8e1d40"


@pytest.fixture
def emulator():
    """A fresh emulator per test on 127.0.0.1:<free port>.

    Keys: emulator.api_key (full) and emulator.read_only_key. Startup config:
    drain_seconds 0, worker_quota 20, any template, seed 0, the full
    profile, no list cap.
    """
    server = EmulatorServer(api_keys=[API_KEY], read_only_keys=[READ_ONLY_KEY]).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def emulator_factory():
    """Start emulators with other startup arguments: emulator_factory(drain_seconds=1, seed=7, profile="documented")."""
    started = []

    def factory(**kwargs):
        kwargs.setdefault("api_keys", [API_KEY])
        kwargs.setdefault("read_only_keys", [READ_ONLY_KEY])
        server = EmulatorServer(**kwargs).start()
        started.append(server)
        return server

    try:
        yield factory
    finally:
        for server in started:
            server.stop()
