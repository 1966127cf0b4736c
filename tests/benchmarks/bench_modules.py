# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Benchmark (a script, not a test) of the collection's modules against the API emulator.
#
#     python tests/benchmarks/bench_modules.py [--quick] [--json FILE] [--source DIR]
#
# Run it with the Python of the venv that holds ansible-core, requests and
# graphql-core: that venv's ansible-playbook runs the plays, and its Python is
# the modules' interpreter. The script copies the collection (from --source,
# default this work tree) into a temporary ansible_collections/tensorone/cloud,
# starts the emulator (tests/emulator) on a free loopback port with a random
# key, and measures, in one run:
#
#   no-op loop   20 existing endpoints converged by a loop over
#                tensorone_endpoint, beside the same loop of ansible.builtin.ping
#                (Ansible's floor) and beside ansible.builtin.uri (a GraphQL read
#                plus a save only when a field differs, per endpoint).
#   fleet        for N endpoints already converged: one tensorone_endpoints
#                task, one tensorone_endpoint task, one ping task, and a loop
#                over tensorone_endpoint.
#   deletes      N endpoints with running workers drained and deleted by one
#                tensorone_endpoints task, then (re-seeded) by a loop.
#   module       each module's process alone (its AnsiballZ payload run
#                directly), and the import times inside it.
#
# Timing needs no callback plugin: playbooks/window.yml stamps now() with
# set_fact before and after each window (a task file under playbooks/windows/);
# the median "empty" window, the stamps' own cost, is subtracted. Request and
# mutation counts come from the emulator's log, told apart by User-Agent.

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "emulator"))
from control import Control  # noqa: E402 pylint: disable=import-error,wrong-import-position
from launch import LaunchError, emulator_process  # noqa: E402 pylint: disable=import-error,wrong-import-position

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PLAYBOOK = os.path.join(HERE, "playbooks", "bench.yml")
COLLECTION_CONTENT = ("galaxy.yml", "meta", "plugins", "roles")
OUR_USER_AGENT = "tensorone.cloud/"
# Imports inside the tensorone_endpoint process worth a line in the report.
IMPORTS_OF_INTEREST = (
    "ansible.module_utils.basic",
    "requests",
    "urllib3",
    "charset_normalizer",
    "http.client",
    "ssl",
    "ansible_collections.tensorone.cloud.plugins.module_utils._api",
    "ansible_collections.tensorone.cloud.plugins.module_utils._endpoint",
)

# The targets the figures are judged by (the performance guide explains them).
TARGET_OURS_PING = 1.25
TARGET_OURS_URI = 1.0
TARGET_FLEET_SINGLE = 1.5
TARGET_LOOP_FLEET = 20.0
FLEET_TARGET_SIZE = 100

# Each window's figures: median and best (minimum) of its wall and CPU seconds.
KINDS = ("wall", "cpu", "wall_best", "cpu_best")

FULL = dict(loop_size=20, rounds=3, sizes=(10, 50, 100), fleet_rounds=5, delete_count=50, drain_seconds=2.0, module_runs=15, import_runs=5)
QUICK = dict(loop_size=20, rounds=1, sizes=(5, 20), fleet_rounds=2, delete_count=4, drain_seconds=1.0, module_runs=3, import_runs=1)


# fleet-noop: the fleet task alone, for large N (--sizes 100,400,1000), where the loop would take hours.
PARTS = ("noop", "fleet", "fleet-noop", "deletes", "module")


class BenchError(Exception):
    """A run that did not do what the benchmark expects (its figures would mean nothing)."""


# --- the endpoints --------------------------------------------------------------


def declared_endpoints(count, workers_min=0):
    """The endpoints as a playbook declares them (module option names)."""
    return [
        dict(
            name="bench-%03d" % number,
            template_id="tmpl%06d" % number,
            gpu_ids=["AMPERE_48", "ADA_48_PRO"],
            idle_timeout=5,
            locations=["US"],
            scaler_type="QUEUE_DELAY",
            scaler_value=4,
            workers_min=workers_min,
            workers_max=2,
        )
        for number in range(count)
    ]


def api_spelling(endpoint):
    """The same endpoint as a user without the collection writes it: GraphQL field names and values."""
    return dict(
        name=endpoint["name"],
        templateId=endpoint["template_id"],
        gpuIds=",".join(endpoint["gpu_ids"]),
        idleTimeout=endpoint["idle_timeout"],
        locations=",".join(endpoint["locations"]),
        scalerType=endpoint["scaler_type"],
        scalerValue=endpoint["scaler_value"],
        workersMin=endpoint["workers_min"],
        workersMax=endpoint["workers_max"],
    )


# --- the emulator ---------------------------------------------------------------


class Emulator(Control):
    """The running emulator's control paths (tests/emulator/control.py), and what the benchmark asks of them."""

    def __init__(self, running):
        Control.__init__(self, running.url)
        self.graphql_url, self.api_key = running.graphql_url, running.api_key

    def prepare(self, endpoints, drain_seconds=0.0):
        """Back to an empty account, with these endpoints (and their workers) and no quota in the way."""
        self.reset()
        self.configure(worker_quota=1000000, drain_seconds=drain_seconds)
        self.seed_endpoints([api_spelling(e) for e in endpoints])
        self.clear_log()

    def endpoints(self):
        return self.state()["endpoints"]

    def traffic(self):
        """Requests and mutations in the log since the last clear: ours (by User-Agent) and the rest."""
        counts = dict((side, dict(requests=0, mutations=0, update=0, delete=0)) for side in ("ours", "others"))
        for entry in self.log()["requests"]:
            side = counts["ours" if (entry.get("user_agent") or "").startswith(OUR_USER_AGENT) else "others"]
            side["requests"] += 1
            if entry.get("operation_type") == "mutation":
                side["mutations"] += 1
                if entry.get("applied") and entry.get("mutation_kind") in ("update", "delete"):
                    side[entry["mutation_kind"]] += 1
        return counts


# --- ansible-playbook -------------------------------------------------------------


class Runner:
    """Runs playbooks/bench.yml on localhost (connection: local) with a copy of the collection."""

    def __init__(self, workdir, source, emulator):
        self.workdir = workdir
        self.emulator = emulator
        collections = os.path.join(workdir, "collections")
        target = os.path.join(collections, "ansible_collections", "tensorone", "cloud")
        os.makedirs(target)
        for name in COLLECTION_CONTENT:
            path = os.path.join(source, name)
            if os.path.isdir(path):
                shutil.copytree(path, os.path.join(target, name), ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            elif os.path.isfile(path):
                shutil.copy2(path, target)
        if not os.path.isfile(os.path.join(target, "plugins", "modules", "tensorone_endpoint.py")):
            raise BenchError("%s does not hold the tensorone.cloud collection" % source)
        config = os.path.join(workdir, "ansible.cfg")
        with open(config, "w") as handle:
            handle.write("[defaults]\nretry_files_enabled = False\n")
        # Nothing from the caller's Ansible or Tensor One settings leaks in.
        env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "TENSORONE_")))
        env.update(
            ANSIBLE_CONFIG=config,
            ANSIBLE_HOME=os.path.join(workdir, "ansible-home"),
            ANSIBLE_COLLECTIONS_PATH=collections,
            ANSIBLE_REMOTE_TMP=os.path.join(workdir, "remote-tmp"),
            ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "local-tmp"),
            ANSIBLE_NOCOLOR="1",
            NO_PROXY="127.0.0.1,localhost,::1",
            no_proxy="127.0.0.1,localhost,::1",
        )
        self.env = env
        playbook_bin = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
        self.command = [playbook_bin] if os.path.exists(playbook_bin) else [sys.executable, "-m", "ansible.cli.playbook"]
        self.runs = 0

    def run(self, schedule, endpoints, wait_timeout=300, extra_env=None):
        """Run the windows in ``schedule`` against ``endpoints``; returns (marks, wall seconds of the whole run)."""
        self.runs += 1
        base = os.path.join(self.workdir, "run%02d" % self.runs)
        variables = dict(
            ansible_python_interpreter=sys.executable,
            bench_schedule=list(schedule),
            bench_endpoints=endpoints,
            bench_api_endpoints=[api_spelling(e) for e in endpoints],
            bench_api_url=self.emulator.graphql_url,
            bench_api_key=self.emulator.api_key,
            bench_wait_timeout=wait_timeout,
            bench_marks_file=base + "-marks.json",
        )
        # The key is in this file: readable by its owner only.
        vars_file = base + "-vars.json"
        with os.fdopen(os.open(vars_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            json.dump(variables, handle)
        env = dict(self.env, **(extra_env or {}))
        started = time.monotonic()
        with open(base + ".log", "wb") as log:
            returncode = subprocess.call(
                self.command + ["-i", "localhost,", "-e", "@" + vars_file, PLAYBOOK], cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        wall = time.monotonic() - started
        if returncode != 0:
            with open(base + ".log", errors="replace") as log:
                tail = "".join(log.readlines()[-30:]).replace(self.emulator.api_key, "********")
            raise BenchError("ansible-playbook failed (exit %d), schedule %s:\n%s" % (returncode, schedule, tail))
        with open(variables["bench_marks_file"]) as handle:
            marks = json.load(handle)
        for mark in marks:
            mark["wall"] = mark["end"] - mark["start"]
            mark["cpu"] = mark["cpu_end"] - mark["cpu_start"]
        return marks, wall


def summary(samples):
    """Median and best (minimum) of wall and CPU samples: {"wall": ..., "wall_best": ..., ...}."""
    return dict(
        wall=statistics.median(samples["wall_samples"]),
        cpu=statistics.median(samples["cpu_samples"]),
        wall_best=min(samples["wall_samples"]),
        cpu_best=min(samples["cpu_samples"]),
    )


def window_stats(marks, skip=0):
    """Per window: wall and CPU seconds (samples, median, best), each minus the median "empty" window.

    The first ``skip`` marks are a warm-up and are left out. Returns (stats, baseline).
    """
    marks = marks[skip:]
    empty = [m for m in marks if m["window"] == "empty"]
    baseline = dict((kind, statistics.median(m[kind] for m in empty) if empty else 0.0) for kind in ("wall", "cpu"))
    stats = {}
    for mark in marks:
        if mark["window"] == "empty":
            continue
        window = stats.setdefault(mark["window"], dict(wall_samples=[], cpu_samples=[]))
        for kind in ("wall", "cpu"):
            window[kind + "_samples"].append(round(max(0.0, mark[kind] - baseline[kind]), 4))
    for window in stats.values():
        window.update(summary(window))
    return stats, baseline


def ratios(stats, numerator, denominator):
    """numerator/denominator of each of wall, CPU, best wall and best CPU seconds."""
    return dict((kind, stats[numerator][kind] / stats[denominator][kind] if stats[denominator][kind] else float("inf")) for kind in KINDS)


def rotated(windows, turn):
    """The windows in a different order each round, so no one always runs first."""
    turn %= len(windows)
    return windows[turn:] + windows[:turn]


def expect(condition, message):
    if not condition:
        raise BenchError(message)


def source_revision(source):
    """The git commit of ``source`` and whether its collection content differs from it (None outside git)."""
    try:
        commit = (
            subprocess.run(["git", "-C", source, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
            .stdout.decode()
            .strip()
        )
        changes = (
            subprocess.run(
                ["git", "-C", source, "status", "--porcelain", "--"] + list(COLLECTION_CONTENT), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True
            )
            .stdout.decode()
            .strip()
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return dict(commit=commit, uncommitted_changes=bool(changes))


# --- the measurements ------------------------------------------------------------


def measure_noop_loop(runner, emulator, size, rounds):
    """A no-op converge of ``size`` endpoints, loop of ours vs ping vs uri."""
    endpoints = declared_endpoints(size)
    emulator.prepare(endpoints)
    before = emulator.endpoints()
    schedule = []
    for turn in range(rounds):
        schedule += ["empty"] + rotated(["ping_loop", "endpoint_loop", "uri_loop"], turn) + ["empty"]
    marks, wall = runner.run(schedule, endpoints)
    traffic = emulator.traffic()
    expect(emulator.endpoints() == before, "a no-op loop changed the emulator's endpoints")
    for mark in marks:
        expect(not mark["changed"], "window %s reported a change" % mark["window"])
        if mark["window"] == "uri_loop":
            expect(mark["skipped_items"] == size, "the uri loop saved %d endpoints, expected none" % (size - mark["skipped_items"]))
    stats, baseline = window_stats(marks)
    result = dict(
        endpoints=size,
        rounds=rounds,
        baseline=baseline,
        playbook_wall_seconds=wall,
        windows=stats,
        ours=dict((k, v / rounds) for k, v in traffic["ours"].items()),
        uri=dict((k, v / rounds) for k, v in traffic["others"].items()),
        ours_per_ping=ratios(stats, "endpoint_loop", "ping_loop"),
        ours_per_uri=ratios(stats, "endpoint_loop", "uri_loop"),
    )
    result["difference_check"] = check_differences(runner, emulator, endpoints)
    result["targets"] = dict(
        requests_and_mutations=traffic["ours"]["requests"] == size * rounds and traffic["ours"]["mutations"] == 0,
        ours_per_ping=result["ours_per_ping"]["wall"] <= TARGET_OURS_PING,
        ours_per_uri=result["ours_per_uri"]["wall"] <= TARGET_OURS_URI,
    )
    return result


def check_differences(runner, emulator, endpoints):
    """Both loops must really compare: one endpoint out of line gets exactly one full save, the others none."""
    checked = {}
    subset = endpoints[:3]
    for window in ("uri_loop", "endpoint_loop"):
        emulator.prepare(endpoints)
        wanted = emulator.endpoints()
        drifted = wanted[1]
        emulator.seed_endpoints([{"id": drifted["id"], "workersMax": 7, "idleTimeout": 60}])
        emulator.clear_log()
        runner.run([window], subset)
        side = emulator.traffic()["ours" if window == "endpoint_loop" else "others"]
        expect(side["mutations"] == 1, "%s sent %d mutations for one drifted endpoint" % (window, side["mutations"]))
        expect(side["requests"] == len(subset) + 1, "%s sent %d requests" % (window, side["requests"]))
        expect(emulator.endpoints() == wanted, "%s did not restore the drifted endpoint exactly" % window)
        checked[window] = dict(declared=len(subset), requests=side["requests"], mutations=side["mutations"], restored=True)
    return checked


def measure_fleet(runner, emulator, size, rounds):
    """``size`` converged endpoints: fleet task, single task, ping task, and the loop."""
    endpoints = declared_endpoints(size)
    emulator.prepare(endpoints)
    before = emulator.endpoints()
    # One of each first, so that every module's AnsiballZ payload is built before the timed rounds.
    warm_up = ["ping_single", "endpoint_single", "endpoints_fleet"]
    schedule = list(warm_up)
    for turn in range(rounds):
        schedule += ["empty"] + rotated(["ping_single", "endpoint_single", "endpoints_fleet"], turn)
    schedule += ["empty", "endpoint_loop", "empty"]
    marks, wall = runner.run(schedule, endpoints)
    traffic = emulator.traffic()["ours"]
    expect(emulator.endpoints() == before, "a no-op run changed the emulator's endpoints")
    expect(not any(m["changed"] for m in marks), "a no-op window reported a change")
    expected_requests = 2 + 2 * rounds + size
    expect(
        traffic["requests"] == expected_requests and traffic["mutations"] == 0,
        "N=%d: %d requests and %d mutations, expected %d and 0" % (size, traffic["requests"], traffic["mutations"], expected_requests),
    )
    stats, baseline = window_stats(marks, skip=len(warm_up))
    return dict(
        endpoints=size,
        rounds=rounds,
        baseline=baseline,
        playbook_wall_seconds=wall,
        windows=stats,
        requests=traffic["requests"],
        expected_requests=expected_requests,
        mutations=traffic["mutations"],
        fleet_per_single=ratios(stats, "endpoints_fleet", "endpoint_single"),
        loop_per_fleet=ratios(stats, "endpoint_loop", "endpoints_fleet"),
    )


def measure_fleet_noop(runner, emulator, size, rounds):
    """``size`` converged endpoints, the fleet task alone: large N without the loop."""
    endpoints = declared_endpoints(size)
    emulator.prepare(endpoints)
    before = emulator.endpoints()
    schedule = ["endpoints_fleet"] + ["empty", "endpoints_fleet"] * rounds
    marks, _wall = runner.run(schedule, endpoints)
    traffic = emulator.traffic()["ours"]
    expect(emulator.endpoints() == before and not any(m["changed"] for m in marks), "a no-op fleet run changed something")
    expect(
        traffic["requests"] == 1 + rounds and traffic["mutations"] == 0,
        "N=%d: %d requests and %d mutations, expected %d and 0" % (size, traffic["requests"], traffic["mutations"], 1 + rounds),
    )
    stats, baseline = window_stats(marks, skip=1)
    return dict(endpoints=size, rounds=rounds, baseline=baseline, requests=traffic["requests"], **stats["endpoints_fleet"])


def measure_deletes(runner, emulator, size, drain_seconds):
    """``size`` endpoints with one running worker each, drained and deleted: fleet, then loop."""
    endpoints = declared_endpoints(size, workers_min=1)
    result = dict(endpoints=size, drain_seconds=drain_seconds, windows={})
    for window in ("endpoints_fleet_absent", "endpoint_loop_absent"):
        emulator.prepare(endpoints, drain_seconds=drain_seconds)
        expect(all(e["clusters"] for e in emulator.endpoints()), "the seeded endpoints have no running workers")
        marks, wall = runner.run(["empty", "empty", window], endpoints)
        traffic = emulator.traffic()["ours"]
        expect(emulator.endpoints() == [], "%s left endpoints behind" % window)
        expect(
            traffic["update"] == size and traffic["delete"] == size,
            "%s: %d scale-downs and %d deletes, expected %d each" % (window, traffic["update"], traffic["delete"], size),
        )
        stats, baseline = window_stats(marks)
        result["windows"][window] = dict(
            stats[window], baseline=baseline, playbook_wall_seconds=wall, requests=traffic["requests"], mutations=traffic["mutations"]
        )
    result["loop_per_fleet"] = ratios(result["windows"], "endpoint_loop_absent", "endpoints_fleet_absent")
    return result


def run_timed(command, env):
    """(wall seconds, CPU seconds, stdout) of one child process."""
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    completed = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    wall = time.monotonic() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if completed.returncode != 0:
        raise BenchError("%s exited with %d" % (os.path.basename(command[-1]), completed.returncode))
    return wall, cpu, completed.stdout


def import_times(payload, env, runs):
    """{module: (self us, cumulative us)} from python -X importtime, the minimum of ``runs``."""
    best = {}
    for _run in range(runs):
        completed = subprocess.run([sys.executable, "-X", "importtime", payload], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        for line in completed.stderr.decode("utf-8", "replace").splitlines():
            match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| \s*(\S+)", line)
            if match:
                name, own, cumulative = match.group(3), int(match.group(1)), int(match.group(2))
                previous = best.get(name, (own, cumulative))
                best[name] = (min(previous[0], own), min(previous[1], cumulative))
    return best


def measure_module_process(runner, emulator, runs, import_runs):
    """Each module's process alone: its AnsiballZ payload, kept from a real task, run ``runs`` times."""
    endpoints = declared_endpoints(20)
    emulator.prepare(endpoints)
    keep = os.path.join(runner.workdir, "kept-payloads")
    runner.run(["ping_single", "endpoint_single"], endpoints, extra_env=dict(ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=keep))
    payloads = {}
    for directory, _dirs, files in os.walk(keep):
        for name in files:
            if name in ("AnsiballZ_ping.py", "AnsiballZ_tensorone_endpoint.py"):
                payloads[name.replace("AnsiballZ_", "", 1).rsplit(".py", 1)[0]] = os.path.join(directory, name)
    expect(len(payloads) == 2, "the kept AnsiballZ payloads were not found")
    samples = dict((name, dict(wall_samples=[], cpu_samples=[])) for name in payloads)
    for _run in range(runs):
        for name, payload in sorted(payloads.items()):
            wall, cpu, output = run_timed([sys.executable, payload], runner.env)
            if name == "tensorone_endpoint":
                expect('"changed": false' in output.decode("utf-8", "replace"), "the kept tensorone_endpoint payload changed something")
            samples[name]["wall_samples"].append(round(wall, 4))
            samples[name]["cpu_samples"].append(round(cpu, 4))
    result = dict(runs=runs)
    for name, payload in payloads.items():
        result[name] = dict(samples[name], payload_bytes=os.path.getsize(payload), **summary(samples[name]))
    result["ours_per_ping"] = ratios(result, "tensorone_endpoint", "ping")
    ours = import_times(payloads["tensorone_endpoint"], runner.env, import_runs)
    ping = import_times(payloads["ping"], runner.env, import_runs)
    extra = set(ours) - set(ping)
    result["imports_ms"] = dict(
        runs=import_runs,
        ping_total=sum(own for own, _cumulative in ping.values()) / 1000.0,
        ours_total=sum(own for own, _cumulative in ours.values()) / 1000.0,
        ours_only=sum(ours[name][0] for name in extra) / 1000.0,
        ours_only_modules=len(extra),
        modules=dict((name, dict(cumulative=ours[name][1] / 1000.0, self=ours[name][0] / 1000.0)) for name in IMPORTS_OF_INTEREST if name in ours),
    )
    return result


# --- report ------------------------------------------------------------------------


def verdict(met):
    if met is None:
        return "not judged (set for N=%d; run without --quick)" % FLEET_TARGET_SIZE
    return "met" if met else "NOT met"


def cell(stats, per=1, digits=2):
    """ "median (best)" of wall seconds, optionally per item."""
    return "%.*f (%.*f)" % (digits, stats["wall"] / per, digits, stats["wall_best"] / per)


def ratio_cell(ratio):
    return "%.2f (%.2f)" % (ratio["wall"], ratio["wall_best"])


def print_noop(noop):
    size = noop["endpoints"]
    print()
    print("No-op converge of %d existing endpoints, one loop task each, %d round(s); seconds as median (best):" % (size, noop["rounds"]))
    print("  %-44s %14s %14s %14s" % ("loop", "wall", "wall per item", "CPU per item"))
    for window, label in (
        ("ping_loop", "ansible.builtin.ping"),
        ("endpoint_loop", "tensorone.cloud.tensorone_endpoint"),
        ("uri_loop", "ansible.builtin.uri read + conditional save"),
    ):
        stats = noop["windows"][window]
        cpu = dict(wall=stats["cpu"], wall_best=stats["cpu_best"])
        print("  %-44s %14s %14s %14s" % (label, cell(stats), cell(stats, size, 3), cell(cpu, size, 3)))
    print(
        "  requests per loop: tensorone_endpoint %g (mutations %g); uri %g (mutations %g)"
        % (noop["ours"]["requests"], noop["ours"]["mutations"], noop["uri"]["requests"], noop["uri"]["mutations"])
    )
    targets = noop["targets"]
    print("  target: exactly %d requests and 0 mutations: %s" % (size, verdict(targets["requests_and_mutations"])))
    for name, target in (("ours_per_ping", TARGET_OURS_PING), ("ours_per_uri", TARGET_OURS_URI)):
        ratio = noop[name]
        print(
            "  target: %s <= %.2f, wall median (best): %s, %s; CPU %.2f (%.2f)"
            % (name.replace("_per_", "/"), target, ratio_cell(ratio), verdict(targets[name]), ratio["cpu"], ratio["cpu_best"])
        )
    print(
        "  difference check (3 declared, 1 drifted): %s"
        % "; ".join("%s %d requests, %d mutation, restored" % (w, c["requests"], c["mutations"]) for w, c in sorted(noop["difference_check"].items()))
    )


def print_fleet(fleet):
    rows = fleet["sizes"]
    print()
    print("Already converged fleet of N endpoints; wall seconds, median (best) of %d rounds for the single tasks, once for the loop:" % rows[0]["rounds"])
    print(
        "  %5s %13s %19s %20s %14s %13s %13s %9s" % ("N", "ping", "tensorone_endpoint", "tensorone_endpoints", "loop", "fleet/single", "loop/fleet", "requests")
    )
    for row in rows:
        windows = row["windows"]
        print(
            "  %5d %13s %19s %20s %14.2f %13s %13.1f %9d"
            % (
                row["endpoints"],
                cell(windows["ping_single"]),
                cell(windows["endpoint_single"]),
                cell(windows["endpoints_fleet"]),
                windows["endpoint_loop"]["wall"],
                ratio_cell(row["fleet_per_single"]),
                row["loop_per_fleet"]["wall"],
                row["requests"],
            )
        )
    largest = rows[-1]
    targets = fleet["targets"]
    print(
        "  target at N=%d: fleet within %.1fx of one tensorone_endpoint task: %s, %s; CPU %.2f (%.2f)"
        % (
            largest["endpoints"],
            TARGET_FLEET_SINGLE,
            ratio_cell(largest["fleet_per_single"]),
            verdict(targets["fleet_per_single"]),
            largest["fleet_per_single"]["cpu"],
            largest["fleet_per_single"]["cpu_best"],
        )
    )
    print(
        "  target at N=%d: fleet at least %dx faster than the loop: %.1fx, %s; CPU %.1fx"
        % (largest["endpoints"], TARGET_LOOP_FLEET, largest["loop_per_fleet"]["wall"], verdict(targets["loop_per_fleet"]), largest["loop_per_fleet"]["cpu"])
    )
    print(
        "  requests: %s (warm-up 2, 2 per round, N for the loop); mutations: %s"
        % (", ".join("N=%d %d" % (row["endpoints"], row["requests"]) for row in rows), ", ".join(str(row["mutations"]) for row in rows))
    )


def print_fleet_noop(rows):
    print()
    print("One tensorone_endpoints task over N converged endpoints (one request each), wall and CPU seconds, median (best) of %d:" % rows[0]["rounds"])
    for row in rows:
        print("  N=%-5d wall %s  CPU %.2f (%.2f)" % (row["endpoints"], cell(row), row["cpu"], row["cpu_best"]))


def print_deletes(deletes):
    print()
    print("Drain and delete %d endpoints with one running worker each (drain %g s):" % (deletes["endpoints"], deletes["drain_seconds"]))
    for window, label in (("endpoints_fleet_absent", "one tensorone_endpoints task"), ("endpoint_loop_absent", "loop over tensorone_endpoint")):
        row = deletes["windows"][window]
        print("  %-30s %8.2f s wall %6.2f s CPU %5d requests %4d mutations" % (label, row["wall"], row["cpu"], row["requests"], row["mutations"]))
    print("  loop/fleet: %.1fx wall" % deletes["loop_per_fleet"]["wall"])


def print_module(module):
    print()
    print("Module process alone (its AnsiballZ payload run directly, %d runs each, interleaved); seconds as median (best):" % module["runs"])
    for name in ("ping", "tensorone_endpoint"):
        stats = module[name]
        print("  %-20s wall %s  CPU %.3f (%.3f)  payload %7d bytes" % (name, cell(stats, digits=3), stats["cpu"], stats["cpu_best"], stats["payload_bytes"]))
    ratio = module["ours_per_ping"]
    print("  tensorone_endpoint/ping: wall %s, CPU %.2f (%.2f)" % (ratio_cell(ratio), ratio["cpu"], ratio["cpu_best"]))
    imports = module["imports_ms"]
    print(
        "  imports (python -X importtime, best of %d): ping %.0f ms, tensorone_endpoint %.0f ms, of which %.0f ms in the %d modules ping does not load"
        % (imports["runs"], imports["ping_total"], imports["ours_total"], imports["ours_only"], imports["ours_only_modules"])
    )
    for name, times in sorted(imports["modules"].items(), key=lambda item: -item[1]["cumulative"]):
        print("    %-64s %6.1f ms cumulative %6.1f ms self" % (name, times["cumulative"], times["self"]))


def print_report(report):
    print()
    revision = report["revision"]
    print(
        "ansible-core %s, Python %s, %d CPUs, load average %.1f at start, %.1f at end; %s mode; collection from %s%s"
        % (
            report["ansible_core"],
            report["python"],
            report["cpus"],
            report["load_average"][0],
            report["load_average"][1],
            report["mode"],
            report["source"],
            "" if revision is None else " at %s%s" % (revision["commit"], " with uncommitted changes" if revision["uncommitted_changes"] else ""),
        )
    )
    if max(report["load_average"]) > report["cpus"] / 2.0:
        print("  (the machine was busy with other work: wall times are inflated, CPU seconds less so)")
    for part, printer in (
        ("noop_loop", print_noop),
        ("fleet", print_fleet),
        ("fleet_noop", print_fleet_noop),
        ("deletes", print_deletes),
        ("module_process", print_module),
    ):
        if part in report:
            printer(report[part])


def measure(emulator, runner, parts, settings, report, progress):
    """The parts asked for, into REPORT."""
    if "noop" in parts:
        progress("no-op loops over %d endpoints, and the difference check" % settings["loop_size"])
        report["noop_loop"] = measure_noop_loop(runner, emulator, settings["loop_size"], settings["rounds"])
    if "fleet" in parts:
        rows = []
        for size in settings["sizes"]:
            progress("converged fleet of %d endpoints" % size)
            rows.append(measure_fleet(runner, emulator, size, settings["fleet_rounds"]))
        # The fleet targets are set at N=100: with a smaller largest N they are not judged.
        judged = rows[-1]["endpoints"] >= FLEET_TARGET_SIZE
        report["fleet"] = dict(
            sizes=rows,
            targets=dict(
                fleet_per_single=rows[-1]["fleet_per_single"]["wall"] <= TARGET_FLEET_SINGLE if judged else None,
                loop_per_fleet=rows[-1]["loop_per_fleet"]["wall"] >= TARGET_LOOP_FLEET if judged else None,
            ),
        )
    if "fleet-noop" in parts:
        report["fleet_noop"] = []
        for size in settings["sizes"]:
            progress("fleet task alone over %d converged endpoints" % size)
            report["fleet_noop"].append(measure_fleet_noop(runner, emulator, size, settings["fleet_rounds"]))
    if "deletes" in parts:
        progress("drain and delete %d endpoints, fleet then loop" % settings["delete_count"])
        report["deletes"] = measure_deletes(runner, emulator, settings["delete_count"], settings["drain_seconds"])
    if "module" in parts:
        progress("module processes alone")
        report["module_process"] = measure_module_process(runner, emulator, settings["module_runs"], settings["import_runs"])


def main(argv=None):
    parser = argparse.ArgumentParser(description="Time the tensorone.cloud modules against the API emulator (not a test).")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and smaller N (under 2 minutes)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE")
    parser.add_argument("--source", default=ROOT, help="collection tree to benchmark (default: this work tree)")
    parser.add_argument(
        "--parts", default="noop,fleet,deletes,module", help="comma-separated subset of %s (default: noop,fleet,deletes,module)" % ",".join(PARTS)
    )
    parser.add_argument("--sizes", help="comma-separated fleet sizes N (default: 10,50,100; quick: 5,20)")
    parser.add_argument("--rounds", type=int, help="rounds of the no-op loops (default: 3, quick: 1)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, playbook vars)")
    args = parser.parse_args(argv)
    settings = dict(QUICK if args.quick else FULL)
    if args.rounds:
        settings["rounds"] = args.rounds
    if args.sizes:
        settings["sizes"] = tuple(int(size) for size in args.sizes.split(","))
    parts = set(args.parts.split(","))
    if parts - set(PARTS):
        parser.error("--parts: unknown part(s) %s" % ", ".join(sorted(parts - set(PARTS))))
    source = os.path.abspath(args.source)
    try:
        from ansible.release import __version__ as ansible_core  # pylint: disable=import-outside-toplevel
    except ImportError:
        parser.error("run this with the Python of a venv that has ansible-core (and requests, graphql-core)")

    workdir = tempfile.mkdtemp(prefix="tensorone-bench-")
    report = dict(
        ansible_core=ansible_core,
        python=platform.python_version(),
        cpus=os.cpu_count(),
        source=source,
        revision=source_revision(source),
        mode="quick" if args.quick else "full",
        settings=settings,
    )
    load_start = os.getloadavg()[0]
    started = time.monotonic()

    def progress(message):
        print("[%4.0f s] %s" % (time.monotonic() - started, message), flush=True)

    try:
        with emulator_process(log=os.path.join(workdir, "emulator.log"), drain_seconds=settings["drain_seconds"]) as running:
            emulator = Emulator(running)
            measure(emulator, Runner(workdir, source, emulator), parts, settings, report, progress)
    except (BenchError, LaunchError) as error:
        print("benchmark failed: %s" % error, file=sys.stderr)
        print("logs kept in %s" % workdir, file=sys.stderr)
        return 1
    report["load_average"] = (load_start, os.getloadavg()[0])
    report["total_seconds"] = time.monotonic() - started
    print_report(report)
    print("\n(%.0f s in all)" % report["total_seconds"])
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=2, sort_keys=True)
            handle.write("\n")
    if args.keep:
        print("temporary files kept in %s" % workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
