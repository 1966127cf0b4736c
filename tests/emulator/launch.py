# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Start the emulator as a process of its own, for a tool, a benchmark or a
# test run (standard library only; the Python running this needs graphql-core
# all the same, since the emulator runs on it):
#
#   with emulator_process(log="emulator.log", drain_seconds=1) as emulator:
#       emulator.url, emulator.graphql_url, emulator.api_key, emulator.pid
#
# `python -m emulator` with PYTHONPATH=tests, a random key (passed in the
# environment, not on the command line), a free loopback port; ready once it
# prints its URL (it does so when it listens); stopped with SIGTERM.

import collections
import contextlib
import os
import secrets
import select
import signal
import subprocess
import sys
import time

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

Emulator = collections.namedtuple("Emulator", "url graphql_url api_key pid")


class LaunchError(Exception):
    """The emulator exited or did not start listening in time."""


@contextlib.contextmanager
def emulator_process(log=None, drain_seconds=0, args=(), api_key=None, start_timeout=30):
    """A running emulator; LOG gets its stderr, ARGS are more options of `python -m emulator`."""
    api_key = api_key or "emu-" + secrets.token_hex(16)
    env = dict(os.environ, TENSORONE_EMULATOR_API_KEY=api_key,
               PYTHONPATH=os.pathsep.join(p for p in (TESTS_DIR, os.environ.get("PYTHONPATH")) if p))
    command = [sys.executable, "-m", "emulator", "--port", "0", "--drain-seconds", str(drain_seconds)] + list(args)
    with open(log or os.devnull, "ab") as stderr:
        # pylint: disable-next=consider-using-with
        process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr)
    try:
        url = _printed_url(process, start_timeout, log)
        yield Emulator(url, url + "/graphql", api_key, process.pid)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()


def _printed_url(process, timeout, log):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if select.select([process.stdout], [], [], 0.1)[0]:
            url = process.stdout.readline().decode("utf-8").strip().rstrip("/")
            if url:
                return url
            process.wait(timeout=10)  # end of its output: it is exiting
        if process.poll() is not None:
            raise LaunchError("the emulator exited with code %s before it listened; its log: %s" % (process.returncode, log))
    raise LaunchError("the emulator did not listen within %d s; its log: %s" % (timeout, log))
