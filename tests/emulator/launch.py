# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start the emulator as a process of its own (standard library only; the Python running it needs graphql-core).

    with emulator_process(log="emulator.log", drain_seconds=1) as emulator:
        emulator.url, emulator.graphql_url, emulator.api_key, emulator.pid

`python -m emulator` with PYTHONPATH=tests, a random key (passed in the environment,
not on the command line), a free loopback port; ready once it prints its URL (it does
so when it listens); stopped with SIGTERM.

As a command, it runs COMMAND with the emulator up (removed workers drain for 1 s) and
exits with COMMAND's exit code:

    python tests/emulator/launch.py [--log FILE] [--profile full|documented] [--integration-config FILE] [--show-state] -- COMMAND...

COMMAND gets TENSORONE_API_KEY, TENSORONE_API_URL (<base>/graphql), TENSORONE_DATA_PLANE_URL
(<base>: the health call is <base>/v2/<endpoint id>/health) and TENSORONE_EMULATOR_URL
(<base>, for /_emulator/...); --integration-config writes the same, lowercase, as YAML for
ansible-test (its targets see only some environment variables); --show-state prints the
endpoints left after COMMAND; --profile documented serves only the documented fields.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import collections
import contextlib
import json
import os
import secrets
import select
import signal
import subprocess
import sys
import time

from control import Control  # pylint: disable=import-error

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

Emulator = collections.namedtuple("Emulator", "url graphql_url api_key pid")


class LaunchError(Exception):
    """The emulator exited or did not start listening in time."""


@contextlib.contextmanager
def emulator_process(log=None, drain_seconds=0, args=(), api_key=None, start_timeout=30):
    """A running emulator; LOG gets its stderr, ARGS are more options of `python -m emulator`."""
    api_key = api_key or "emu-" + secrets.token_hex(16)
    env = dict(os.environ, TENSORONE_EMULATOR_API_KEY=api_key, PYTHONPATH=os.pathsep.join(p for p in (TESTS_DIR, os.environ.get("PYTHONPATH")) if p))
    command = [sys.executable, "-m", "emulator", "--port", "0", "--drain-seconds", str(drain_seconds)] + list(args)
    with open(log or os.devnull, "ab") as stderr:
        # pylint: disable-next=consider-using-with
        process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr)
    try:
        deadline = time.monotonic() + start_timeout
        url = None
        while not url:
            if select.select([process.stdout], [], [], 0.1)[0]:
                url = process.stdout.readline().decode("utf-8").strip().rstrip("/")
                if not url:
                    process.wait(timeout=10)  # end of its output: it is exiting
            if process.poll() is not None:
                raise LaunchError("the emulator exited with code %s before it listened; its log: %s" % (process.returncode, log))
            if time.monotonic() > deadline:
                raise LaunchError("the emulator did not listen within %d s; its log: %s" % (start_timeout, log))
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


def main():
    parser = argparse.ArgumentParser(usage="%(prog)s [--log FILE] [--profile P] [--integration-config FILE] [--show-state] -- COMMAND...")
    parser.add_argument("--log", help="the emulator's stderr goes here")
    parser.add_argument("--profile", default="full", choices=["full", "documented"])
    parser.add_argument("--integration-config")
    parser.add_argument("--show-state", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    with emulator_process(log=args.log, drain_seconds=1, args=["--profile", args.profile]) as emulator:
        settings = dict(
            TENSORONE_API_KEY=emulator.api_key,
            TENSORONE_API_URL=emulator.graphql_url,
            TENSORONE_DATA_PLANE_URL=emulator.url,
            TENSORONE_EMULATOR_URL=emulator.url,
        )
        if args.integration_config:
            with open(args.integration_config, "w") as config:  # JSON is YAML, and quotes every value safely
                config.write("---\n" + "".join("%s: %s\n" % (name.lower(), json.dumps(value)) for name, value in sorted(settings.items())))
        try:
            rc = subprocess.call(command, env=dict(os.environ, **settings))
        except KeyboardInterrupt:
            rc = 130
        if args.show_state:
            endpoints = Control(emulator.url).state()["endpoints"]
            print(">> the emulator holds %d endpoint(s)%s" % (len(endpoints), ":" if endpoints else " - the demo cleaned up after itself"))
            for endpoint in endpoints:
                print("   - %s (id %s), workers %s..%s" % (endpoint["name"], endpoint["id"], endpoint["workersMin"], endpoint["workersMax"]))
    return rc


if __name__ == "__main__":
    sys.exit(main())
