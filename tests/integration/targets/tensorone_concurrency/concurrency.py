# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Concurrent and interrupted runs, every playbook at -vvvv, and the key searched for in all of it.

1. Two runs started together create the same 5 endpoints (race.yml): both succeed, exactly 5 exist
   as requested, each created once, and the runs really raced (a create was refused as a duplicate);
   then two runs delete them together: both succeed, nothing is left.
2. A state=absent run (absent.yml) is killed (ansible-playbook, its worker and the module at once)
   during the drain, before the delete: the endpoint is left scaled to 0; the next run deletes it.
3. The tensorone_faults scenarios once more, at -vvvv (faults_vvvv.yml).
4. No key in any output, result file or the emulator's log.

runme.sh runs this in the target's directory with tests/emulator on PYTHONPATH; ansible-test
sets INVENTORY_PATH and OUTPUT_DIR; ../../integration_config.yml names the emulator and its key.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import yaml
from control import Control  # pylint: disable=import-error

CONFIG = "../../integration_config.yml"
INVENTORY = os.environ.get("INVENTORY_PATH", "../../inventory")
OUT = os.environ.get("OUTPUT_DIR") or tempfile.mkdtemp()
LOGS = os.path.join(OUT, "concurrency-logs")
ENV = dict(os.environ, ANSIBLE_ROLES_PATH="..")  # faults_vvvv.yml plays the tensorone_faults target as a role


with open(CONFIG) as config_file:
    SETTINGS = yaml.safe_load(config_file)
API_KEY = SETTINGS["tensorone_api_key"]
EMULATOR = Control(SETTINGS["tensorone_emulator_url"])


def start_playbook(name, playbook, *extra):
    """ansible-playbook PLAYBOOK at -vvvv, its output in LOGS/NAME.log; the running process."""
    command = ["ansible-playbook", "-vvvv", "-i", INVENTORY, "-e", "@" + CONFIG, "-e", "conc_out=" + OUT, playbook]
    with open(os.path.join(LOGS, name + ".log"), "wb") as log:
        # pylint: disable-next=consider-using-with
        return subprocess.Popen(command + list(extra), env=ENV, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)


def finished(name, process):
    """PROCESS's exit code; the tail of its log (key masked) when it failed."""
    rc = process.wait()
    if rc != 0:
        with open(os.path.join(LOGS, name + ".log"), encoding="utf-8", errors="replace") as log:
            print("".join(log.readlines()[-60:]).replace(API_KEY, "<KEY>"))
    return rc


def race(state):
    """Both race runs converging race-0..4 to STATE together; their exit codes."""
    runs = {run: start_playbook("race-%s-%s" % (state, run), "race.yml", "-e", "race_state=" + state, "-e", "race_run=" + run)
            for run in "ab"}
    return [finished("race-%s-%s" % (state, run), runs[run]) for run in "ab"]


CHECKS = []


def read_back():
    """The emulator's endpoints and log, and the result files (results[name]); each log kept for the key search."""
    state, log = EMULATOR.state()["endpoints"], EMULATOR.log()
    CHECKS.append(log)
    with open(os.path.join(LOGS, "emulator-log-%d.json" % len(CHECKS)), "w") as kept:
        json.dump(log, kept)
    results = {}
    for path in glob.glob(os.path.join(OUT, "*-*.json")):
        with open(path) as result:
            results[os.path.basename(path)[:-5]] = json.load(result)
    return state, log, results


def check_race_present(rcs):
    state, log, results = read_back()
    names = ["race-%d" % i for i in range(5)]
    assert sorted(e["name"] for e in state) == names, [e["name"] for e in state]
    requested = dict(templateId="tpl-race", gpuIds="AMPERE_80,HOPPER_141", idleTimeout=42, locations="US",
                     networkVolumeId=None, scalerType="REQUEST_COUNT", scalerValue=7, workersMin=1, workersMax=2)
    for endpoint in state:
        stored = dict((k, v) for k, v in endpoint.items() if k not in ("id", "name", "clusters"))
        assert stored == requested, (endpoint["name"], stored)
        assert len(endpoint["clusters"]) == 1, endpoint
    counters = log["counters"]
    assert counters["applied_create"] == 5, counters
    creates = [e for e in log["requests"] if e["mutation_kind"] == "create"]
    refused = [e for e in creates if not e["applied"]]
    print("creates sent: %d, applied: %d, refused as duplicates: %d" % (len(creates), counters["applied_create"], len(refused)))
    assert refused, "the two runs never raced: no create was refused"
    for run in "ab":
        assert not any(r.get("failed") for r in results["race-present-" + run]["results"]), run
    # each endpoint is reported created by exactly one run, and both return it as it is
    for index, name in enumerate(names):
        items = [results["race-present-" + run]["results"][index] for run in "ab"]
        assert [i["item"] for i in items] == [name, name]
        assert sum(1 for i in items if i["changed"]) == 1, (name, [i["actions"] for i in items])
        stored_id = [e["id"] for e in state if e["name"] == name][0]
        assert all(i["endpoint"]["id"] == stored_id for i in items), name
    assert rcs == [0, 0], rcs
    print("checked: two runs created the same 5 endpoints")


def check_race_absent(rcs):
    state, log, results = read_back()
    assert state == [], state
    assert log["counters"]["applied_delete"] == 5, log["counters"]
    for run in "ab":
        assert not any(r.get("failed") for r in results["race-absent-" + run]["results"]), run
    assert rcs == [0, 0], rcs
    print("checked: two runs deleted the same 5 endpoints")


def wait_for_scale_down():
    """Until the scale-down to 0 is applied (the drain has begun)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(e["mutation_kind"] == "update" and e["applied"] and e["variables"]["input"]["workersMax"] == 0
               for e in EMULATOR.log()["requests"]):
            return
        time.sleep(0.1)
    raise AssertionError("the scale-down never came")


def kill_tree(top):
    """SIGKILL a process and all its descendants at once, like a crash.

    Killing ansible-playbook alone is not enough: in ansible-core 2.19 its
    workers call setsid, so they and the module would keep running. The tree
    is frozen top-down first (SIGSTOP), so nothing forks or exits meanwhile.
    """
    def children():
        found = {}
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/stat" % entry) as stat:
                    found.setdefault(int(stat.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
        return found

    tree, frontier = [], [top]
    while frontier:
        pid = frontier.pop()
        try:
            os.kill(pid, signal.SIGSTOP)
        except ProcessLookupError:
            continue
        tree.append(pid)
        frontier.extend(children().get(pid, []))
    for pid in tree:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    print("killed %d processes: %s" % (len(tree), tree))
    assert len(tree) >= 3, "expected ansible-playbook, a worker and the module"


def killed_absent_run():
    """A state=absent run killed during the drain, then a run that finishes the delete; the re-run's seconds."""
    EMULATOR.reset()
    EMULATOR.configure(drain_seconds=6)
    EMULATOR.seed_endpoints([{"name": "conc-drain", "templateId": "tpl-race", "gpuIds": "AMPERE_24", "workersMin": 2, "workersMax": 2}])
    EMULATOR.clear_log()
    process = start_playbook("absent-killed", "absent.yml", "-e", "absent_run=killed")
    wait_for_scale_down()
    time.sleep(1)
    kill_tree(process.pid)
    assert process.wait() == -signal.SIGKILL, process.returncode
    requests_at_kill = EMULATOR.log()["counters"]["requests"]
    time.sleep(2)
    state, log, results = read_back()
    assert len(state) == 1 and state[0]["name"] == "conc-drain", state
    assert state[0]["workersMin"] == 0 and state[0]["workersMax"] == 0, state[0]
    assert len(state[0]["clusters"]) == 2, state[0]  # still draining
    assert log["counters"]["applied_delete"] == 0 and log["counters"]["delete"] == 0, log["counters"]
    assert log["counters"]["requests"] == requests_at_kill, "the killed run is still sending requests"
    assert "absent-killed" not in results
    print("checked: the killed run left the endpoint scaled to 0 and draining, and sent nothing more")

    EMULATOR.clear_log()
    started = time.time()
    assert finished("absent-rerun", start_playbook("absent-rerun", "absent.yml", "-e", "absent_run=rerun")) == 0
    rerun_seconds = time.time() - started
    state, log, results = read_back()
    assert state == [], state
    result = results["absent-rerun"]
    assert result["changed"] is True, result
    assert len(result["actions"]) == 1 and result["actions"][0].startswith("delete endpoint 'conc-drain'"), result["actions"]
    assert log["counters"]["applied_delete"] == 1 and log["counters"]["applied_update"] == 0, log["counters"]
    print("checked: the next run finished the delete and reported changed")
    return rerun_seconds


def faults_at_vvvv():
    """The tensorone_faults scenarios at -vvvv (they check the emulator's log themselves); their seconds."""
    EMULATOR.reset()
    started = time.time()
    assert finished("faults", start_playbook("faults", "faults_vvvv.yml")) == 0
    with open(os.path.join(LOGS, "faults.log"), encoding="utf-8", errors="replace") as log:
        output = log.read()
    for expected in ("FAULTS-TARGET-DONE", "FAULTS-TRANSIENT seed", "gave up after 3 attempts (api_retries=2)",
                     "within api_timeout (1s); gave up after 2 attempts", "ESTABLISH LOCAL CONNECTION"):
        assert expected in output, "not in the -vvvv output of the faults scenarios: %s" % expected
    return time.time() - started


def no_key_anywhere():
    """The key in no log, result file or kept emulator log; the lines of -vvvv output searched."""
    leaks = []
    for path in sorted(glob.glob(os.path.join(LOGS, "*.log")) + glob.glob(os.path.join(LOGS, "*.json"))
                       + glob.glob(os.path.join(OUT, "race-*.json")) + glob.glob(os.path.join(OUT, "absent-*.json"))):
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
        found = ["%d:%s" % (number, line.replace(API_KEY, "<KEY>")) for number, line in enumerate(lines, 1) if API_KEY in line]
        if found:
            leaks.append("LEAK: the key appears in %s, at these lines (masked):\n%s" % (path, "\n".join(found[:20])))
    assert not leaks, "\n".join(leaks)
    # The emulator redacts any key it is sent in a body, a header or an operation name.
    assert not any("<redacted>" in json.dumps(log) for log in CHECKS), "a key reached the emulator outside the api_key parameter"
    assert sum(len(log["requests"]) for log in CHECKS) > 40
    lines = 0
    for path in glob.glob(os.path.join(LOGS, "*.log")):
        with open(path, "rb") as handle:
            lines += handle.read().count(b"\n")
    assert lines > 1000, lines
    return lines


def main():
    started = time.time()
    shutil.rmtree(LOGS, ignore_errors=True)
    os.makedirs(LOGS)
    for path in glob.glob(os.path.join(OUT, "race-*.json")) + glob.glob(os.path.join(OUT, "absent-*.json")):
        os.remove(path)
    for path in glob.glob(os.path.join(OUT, "barrier-*")):
        shutil.rmtree(path)

    # 1. Two runs on the same 5 names. 1 s per request: both runs read the account before either creates,
    # even when the runs start their tasks up to a second apart on a busy machine (300 ms was not enough there).
    EMULATOR.reset()
    EMULATOR.configure(drain_seconds=0, worker_quota=100)
    EMULATOR.set_faults(latency_ms=1000)
    race_started = time.time()
    rcs = race("present")
    race_seconds = time.time() - race_started
    check_race_present(rcs)
    EMULATOR.clear_log()
    EMULATOR.set_faults(latency_ms=300)
    check_race_absent(race("absent"))
    EMULATOR.set_faults()

    rerun_seconds = killed_absent_run()
    faults_seconds = faults_at_vvvv()
    lines = no_key_anywhere()
    EMULATOR.reset()
    print("CONCURRENCY-FIGURES race of two runs on 5 endpoints: %.1f s; re-run after the kill: %.1f s; "
          "faults scenarios at -vvvv: %d s; %d lines of -vvvv output searched, no key; target total %d s"
          % (race_seconds, rerun_seconds, faults_seconds, lines, time.time() - started))


if __name__ == "__main__":
    main()
