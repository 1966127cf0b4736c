# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run COMMAND with the API emulator up (tests/emulator/launch.py); exit with COMMAND's exit code.

COMMAND gets TENSORONE_API_KEY (the emulator's random key), TENSORONE_API_URL
(<base>/graphql) and TENSORONE_EMULATOR_URL (<base>, for /_emulator/...).
--integration-config FILE writes the same as tensorone_api_key, tensorone_api_url
and tensorone_emulator_url for ansible-test (its targets get a whitelist of
environment variables only). --show-state prints what the emulator holds after COMMAND.

--profile documented serves only the fields Tensor One documents (default: full, the real schema).

Usage: with_emulator.py [--log FILE] [--drain-seconds N] [--profile full|documented] [--integration-config FILE] [--show-state] -- COMMAND [ARG...]
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "emulator"))
from control import Control  # noqa: E402 pylint: disable=import-error,wrong-import-position
from launch import emulator_process  # noqa: E402 pylint: disable=import-error,wrong-import-position


def main():
    parser = argparse.ArgumentParser(usage=__doc__.strip().splitlines()[-1])
    parser.add_argument("--log", help="the emulator's stderr goes here")
    parser.add_argument("--drain-seconds", default="1")
    parser.add_argument("--profile", default="full", choices=["full", "documented"])
    parser.add_argument("--integration-config")
    parser.add_argument("--show-state", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    with emulator_process(log=args.log, drain_seconds=args.drain_seconds, args=["--profile", args.profile]) as emulator:
        settings = dict(TENSORONE_API_KEY=emulator.api_key, TENSORONE_API_URL=emulator.graphql_url,
                        TENSORONE_EMULATOR_URL=emulator.url)
        if args.integration_config:
            with open(args.integration_config, "w") as config:
                # JSON is YAML, and quotes every value safely.
                config.write("---\n" + "".join("%s: %s\n" % (name.lower(), json.dumps(value)) for name, value in sorted(settings.items())))
        try:
            rc = subprocess.call(command, env=dict(os.environ, **settings))
        except KeyboardInterrupt:
            rc = 130
        if args.show_state:
            endpoints = Control(emulator.url).state()["endpoints"]
            print(">> the emulator holds %d endpoint(s)%s" % (len(endpoints), ":" if endpoints else " - the demo cleaned up after itself"))
            for endpoint in endpoints:
                print("   - %s (id %s), workers %s..%s, %d cluster(s)" % (
                    endpoint["name"], endpoint["id"], endpoint["workersMin"], endpoint["workersMax"], len(endpoint["clusters"] or [])))
    return rc


if __name__ == "__main__":
    sys.exit(main())
