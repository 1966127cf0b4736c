# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Command line: PYTHONPATH=tests python -m emulator --api-key KEY [...]
# Prints the base URL (one line) and serves until SIGTERM or SIGINT (exit 0).

import argparse
import os
import signal
import sys
import threading

from .server import EmulatorServer, loopback_host
from .service import DEFAULT_PROFILE, PROFILES
from .state import TEMPLATE_RECENT_USE_SECONDS

ENV_API_KEY = "TENSORONE_EMULATOR_API_KEY"


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="Local Tensor One GraphQL API emulator (loopback only).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="127.0.0.1 (default), ::1 or localhost; nothing else")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 (default) picks a free one")
    parser.add_argument("--api-key", action="append", default=[], metavar="KEY", help="accepted full-access key (repeatable); default: $%s" % ENV_API_KEY)
    parser.add_argument("--read-only-key", action="append", default=[], metavar="KEY", help="key that may query but not mutate (repeatable)")
    parser.add_argument("--drain-seconds", type=float, default=0.0, help="how long removed workers keep running (default 0)")
    parser.add_argument("--worker-quota", type=int, default=20, help="account-wide sum of workersMax (default 20)")
    parser.add_argument(
        "--template", action="extend", nargs="+", default=None, metavar="ID", help="known template ids (repeatable); default: any id is accepted"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for ids and faults (default 0)")
    parser.add_argument(
        "--profile",
        choices=list(PROFILES),
        default=DEFAULT_PROFILE,
        help="schema served: full (the real schema, default) or documented (the documented fields only)",
    )
    parser.add_argument("--list-cap", type=int, default=None, metavar="N", help="myself.endpoints returns only the first N endpoints (default: no cap)")
    parser.add_argument(
        "--template-recent-use-seconds",
        type=float,
        default=TEMPLATE_RECENT_USE_SECONDS,
        metavar="S",
        help="seconds after its last use during which a template cannot be deleted (default %g)" % TEMPLATE_RECENT_USE_SECONDS,
    )
    parser.add_argument(
        "--worker-start-seconds",
        type=float,
        default=0.0,
        metavar="S",
        help="how long a new worker initializes before it is ready (default 0)",
    )
    parser.add_argument("--url-file", metavar="PATH", help="also write the base URL to this file (removed on exit)")
    parser.add_argument("--state-file", metavar="PATH", help="load endpoints from PATH if it exists; save them after every change")
    return parser


def _write_atomically(path, text):
    temp_path = "%s.%d.tmp" % (path, os.getpid())
    with open(temp_path, "w") as handle:
        handle.write(text)
    os.replace(temp_path, path)


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    api_keys = args.api_key
    if not api_keys and os.environ.get(ENV_API_KEY):
        api_keys = [os.environ[ENV_API_KEY]]
    if not api_keys:
        parser.error("no API key: pass --api-key KEY or set %s" % ENV_API_KEY)
    if args.port < 0 or args.port > 65535:
        parser.error("--port must be between 0 and 65535")
    if args.drain_seconds < 0 or args.worker_quota < 0 or args.template_recent_use_seconds < 0 or args.worker_start_seconds < 0:
        parser.error("--drain-seconds, --worker-quota, --template-recent-use-seconds and --worker-start-seconds must be >= 0")
    if args.list_cap is not None and args.list_cap < 0:
        parser.error("--list-cap must be >= 0")
    if args.state_file and not os.path.isdir(os.path.dirname(os.path.abspath(args.state_file))):
        parser.error("--state-file: directory does not exist")
    try:
        loopback_host(args.host)
        server = EmulatorServer(
            api_keys=api_keys,
            read_only_keys=args.read_only_key,
            drain_seconds=args.drain_seconds,
            worker_quota=args.worker_quota,
            templates=args.template,
            seed=args.seed,
            host=args.host,
            port=args.port,
            state_file=args.state_file,
            profile=args.profile,
            list_cap=args.list_cap,
            template_recent_use_seconds=args.template_recent_use_seconds,
            worker_start_seconds=args.worker_start_seconds,
        )
    except ValueError as error:
        # A non-loopback host or an unreadable state file.
        parser.error(str(error))

    stop = threading.Event()

    def on_signal(_signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        server.start(poll_interval=0.1)
    except OSError as error:
        print("emulator: cannot listen on %s port %d: %s" % (args.host, args.port, error.strerror), file=sys.stderr)
        return 1
    try:
        # The file first: whoever reads the stdout line may look for it next.
        if args.url_file:
            _write_atomically(args.url_file, server.url + "\n")
        print(server.url, flush=True)
        # Wait in short slices so the signal handler runs promptly.
        while not stop.wait(0.1):
            pass
    finally:
        server.stop()
        if args.url_file and os.path.exists(args.url_file):
            os.unlink(args.url_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
