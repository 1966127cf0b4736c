# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Benchmark (a script, not a test): sequential view queries per second
# against the emulator over one keep-alive connection.
#
#   python tests/benchmarks/bench_emulator.py [--queries 2000] [--client requests] [--in-process]
#
# By default the emulator runs as its own process (python -m emulator), as
# in the playbook tests, so client and server do not share one GIL.

import argparse
import contextlib
import http.client
import json
import os
import sys
import time
from urllib.parse import urlsplit

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TESTS_DIR, "emulator"))
from control import Control  # noqa: E402 pylint: disable=import-error,wrong-import-position
from launch import emulator_process  # noqa: E402 pylint: disable=import-error,wrong-import-position

API_KEY = "benchmark-key-0001"
TARGET = 500.0
# The documented view query (Tensor One GraphQL page).
VIEW = (
    "query Endpoints { myself { endpoints { gpuIds id idleTimeout locations name networkVolumeId "
    "clusters { desiredStatus } scalerType scalerValue templateId workersMax workersMin } "
    "serverlessDiscount { discountFactor type expirationDate } } }"
)


def seed_endpoints(base_url, count):
    Control(base_url).seed_endpoints(
        {
            "name": "bench-%02d" % number,
            "templateId": "tmpl%010d" % number,
            "gpuIds": "AMPERE_48,ADA_48_PRO",
            "workersMin": 1,
            "workersMax": 2,
            "locations": "US",
        }
        for number in range(count)
    )


def make_http_client_query(base_url):
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    body = json.dumps({"query": VIEW})
    headers = {"Content-Type": "application/json", "User-Agent": "tensorone-emulator-benchmark"}
    path = "/graphql?api_key=" + API_KEY

    def query():
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise SystemExit("unexpected HTTP %d: %s" % (response.status, payload[:200]))
        return payload

    return query, connection.close


def make_requests_query(base_url):
    import requests  # only needed for this client

    session = requests.Session()
    # Skip requests' per-call scan of the environment for proxy settings: it
    # costs the client more than the emulator spends on a query.
    session.trust_env = False
    session.headers["User-Agent"] = "tensorone-emulator-benchmark"
    url = base_url + "/graphql"

    def query():
        response = session.post(url, params={"api_key": API_KEY}, json={"query": VIEW}, timeout=30)
        if response.status_code != 200:
            raise SystemExit("unexpected HTTP %d: %s" % (response.status_code, response.text[:200]))
        return response.content

    return query, session.close


def cpu_seconds(pid):
    """User + system CPU time of a process (Linux /proc), or None elsewhere."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))


@contextlib.contextmanager
def running_emulator(in_process):
    """The emulator's base URL and, in its own process, that process's id."""
    if in_process:
        sys.path.insert(0, TESTS_DIR)
        from emulator import EmulatorServer  # pylint: disable=import-error,import-outside-toplevel

        with EmulatorServer(api_keys=[API_KEY]) as server:
            yield server.url, None
    else:
        with emulator_process(api_key=API_KEY) as running:
            yield running.url, running.pid


def main():
    parser = argparse.ArgumentParser(description="Sequential view queries per second against the emulator.")
    parser.add_argument("--queries", type=int, default=2000, help="timed view queries (default 2000)")
    parser.add_argument("--endpoints", type=int, default=5, help="endpoints in the account (default 5)")
    parser.add_argument("--client", choices=["http.client", "requests"], default="http.client")
    parser.add_argument("--in-process", action="store_true", help="serve from a thread of this process")
    parser.add_argument(
        "--min-rate",
        type=float,
        default=0.0,
        help="exit 1 below this many queries/s (default 0: only report; wall-clock figures swing with whatever else runs on the machine)",
    )
    args = parser.parse_args()

    server_cpu = None
    with running_emulator(args.in_process) as (url, pid):
        seed_endpoints(url, args.endpoints)
        query, close = (make_requests_query if args.client == "requests" else make_http_client_query)(url)
        try:
            for _warmup in range(50):  # warm-up: connection, document cache
                query()
            expected = len(json.loads(query().decode("utf-8"))["data"]["myself"]["endpoints"])
            if expected != args.endpoints:
                raise SystemExit("expected %d endpoints, got %d" % (args.endpoints, expected))
            cpu_before = cpu_seconds(pid) if pid else None
            started = time.perf_counter()
            for _query in range(args.queries):
                query()
            elapsed = time.perf_counter() - started
            if cpu_before is not None:
                server_cpu = cpu_seconds(pid) - cpu_before
        finally:
            close()
    rate = args.queries / elapsed
    print(
        "%d sequential view queries (%d endpoints, %s client, %s server) in %.2f s: %.0f queries/s (target >= %.0f: %s)"
        % (
            args.queries,
            args.endpoints,
            args.client,
            "in-process" if args.in_process else "subprocess",
            elapsed,
            rate,
            TARGET,
            "ok" if rate >= TARGET else "BELOW TARGET",
        )
    )
    if server_cpu:
        # What the emulator itself costs, whatever the client's speed.
        print("emulator CPU: %.2f ms per query (about %.0f queries/s per core)" % (1000.0 * server_cpu / args.queries, args.queries / server_cpu))
    return 1 if rate < args.min_rate else 0


if __name__ == "__main__":
    sys.exit(main())
