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
runme.sh runs this in the target's directory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import shutil
import signal
import subprocess
import time

import yaml
from checks_common import find_secrets  # pylint: disable=import-error
from control import Control  # pylint: disable=import-error

CONFIG = "../../integration_config.yml"
OUT = os.environ["OUTPUT_DIR"]
LOGS = os.path.join(OUT, "concurrency-logs")
with open(CONFIG) as config_file:
    SETTINGS = yaml.safe_load(config_file)
EMULATOR = Control(SETTINGS["tensorone_emulator_url"])
EMULATOR_LOGS = []  # every log read back, for the key search


def play(name, playbook, *extra):
    """ansible-playbook PLAYBOOK at -vvvv, its output in LOGS/NAME.log; the running process."""
    command = ["ansible-playbook", "-vvvv", "-i", os.environ["INVENTORY_PATH"], "-e", "@" + CONFIG, "-e", "conc_out=" + OUT, playbook]
    with open(os.path.join(LOGS, name + ".log"), "wb") as log:
        # faults_vvvv.yml plays the tensorone_faults target as a role
        return subprocess.Popen(
            command + list(extra),
            env=dict(os.environ, ANSIBLE_ROLES_PATH=".."),  # pylint: disable=consider-using-with
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def finished(name, process):
    """PROCESS's exit code; the tail of its log (key masked) when it failed."""
    if process.wait() != 0:
        with open(os.path.join(LOGS, name + ".log"), encoding="utf-8", errors="replace") as log:
            print("".join(log.readlines()[-60:]).replace(SETTINGS["tensorone_api_key"], "<KEY>"))
    return process.returncode


def race(state):
    """Both race runs converging race-0..4 to STATE together; their exit codes."""
    runs = dict((run, play("race-%s-%s" % (state, run), "race.yml", "-e", "race_state=" + state, "-e", "race_run=" + run)) for run in "ab")
    return [finished("race-%s-%s" % (state, run), runs[run]) for run in "ab"]


def read_back():
    """The emulator's endpoints and log, and the result files ({name: result})."""
    EMULATOR_LOGS.append(EMULATOR.log())
    results = {}
    for path in glob.glob(os.path.join(OUT, "*-*.json")):
        with open(path) as result:
            results[os.path.basename(path)[:-5]] = json.load(result)
    return EMULATOR.state()["endpoints"], EMULATOR_LOGS[-1], results


def kill_tree(top):
    """SIGKILL a process and all its descendants at once, like a crash.

    In ansible-core 2.19 the workers call setsid, so killing ansible-playbook or its
    process group would leave them and the module running. The tree is frozen
    top-down first (SIGSTOP), so nothing forks or exits meanwhile.
    """
    tree, frontier = [], [top]
    while frontier:
        pid = frontier.pop()
        try:
            os.kill(pid, signal.SIGSTOP)
        except ProcessLookupError:
            continue
        tree.append(pid)
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/stat" % entry) as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        frontier.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    for pid in tree:
        os.kill(pid, signal.SIGKILL)
    assert len(tree) >= 3, "expected ansible-playbook, a worker and the module: %s" % tree


def main():
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
    rcs = race("present")
    state, log, results = read_back()
    names = ["race-%d" % i for i in range(5)]
    assert sorted(e["name"] for e in state) == names, state
    requested = dict(
        templateId="tpl-race",
        gpuIds="AMPERE_80,HOPPER_141",
        idleTimeout=42,
        locations="US",
        networkVolumeId=None,
        scalerType="REQUEST_COUNT",
        scalerValue=7,
        workersMin=1,
        workersMax=2,
    )
    for endpoint in state:
        assert dict((k, v) for k, v in endpoint.items() if k not in ("id", "name", "clusters")) == requested, endpoint
        assert len(endpoint["clusters"]) == 1, endpoint
    assert log["counters"]["applied_create"] == 5, log["counters"]
    assert any(e["mutation_kind"] == "create" and not e["applied"] for e in log["requests"]), "the runs never raced: no create was refused"
    assert not any(r.get("failed") for run in "ab" for r in results["race-present-" + run]["results"])
    for index, name in enumerate(names):  # each endpoint reported created by exactly one run, both return it as stored
        items = [results["race-present-" + run]["results"][index] for run in "ab"]
        assert [i["item"] for i in items] == [name, name], items
        assert sum(1 for i in items if i["changed"]) == 1, (name, [i["actions"] for i in items])
        assert all(i["endpoint"]["id"] == [e["id"] for e in state if e["name"] == name][0] for i in items), name
    assert rcs == [0, 0], rcs

    EMULATOR.clear_log()
    EMULATOR.set_faults(latency_ms=300)
    rcs = race("absent")
    state, log, results = read_back()
    assert state == [] and log["counters"]["applied_delete"] == 5, (state, log["counters"])
    assert not any(r.get("failed") for run in "ab" for r in results["race-absent-" + run]["results"])
    assert rcs == [0, 0], rcs
    EMULATOR.set_faults()

    # 2. A state=absent run killed during the drain, then a run that finishes the delete.
    EMULATOR.reset()
    EMULATOR.configure(drain_seconds=6)
    EMULATOR.seed_endpoints([{"name": "conc-drain", "templateId": "tpl-race", "gpuIds": "AMPERE_24", "workersMin": 2, "workersMax": 2}])
    EMULATOR.clear_log()
    process = play("absent-killed", "absent.yml", "-e", "absent_run=killed")
    deadline = time.monotonic() + 60
    while not any(
        e["mutation_kind"] == "update" and e["applied"] and e["variables"]["input"]["workersMax"] == 0 for e in EMULATOR.log()["requests"]
    ):  # until the scale-down to 0 is applied: the drain has begun
        assert time.monotonic() < deadline, "the scale-down never came"
        time.sleep(0.1)
    time.sleep(1)
    kill_tree(process.pid)
    assert process.wait() == -signal.SIGKILL, process.returncode
    requests_at_kill = EMULATOR.log()["counters"]["requests"]
    time.sleep(2)
    state, log, results = read_back()
    assert [(e["name"], e["workersMin"], e["workersMax"], len(e["clusters"])) for e in state] == [("conc-drain", 0, 0, 2)], state  # draining
    assert log["counters"]["applied_delete"] == 0 and log["counters"]["delete"] == 0, log["counters"]
    assert log["counters"]["requests"] == requests_at_kill, "the killed run is still sending requests"
    assert "absent-killed" not in results

    EMULATOR.clear_log()
    assert finished("absent-rerun", play("absent-rerun", "absent.yml", "-e", "absent_run=rerun")) == 0
    state, log, results = read_back()
    result = results["absent-rerun"]
    assert state == [] and result["changed"] is True, (state, result)
    assert len(result["actions"]) == 1 and result["actions"][0].startswith("delete endpoint 'conc-drain'"), result["actions"]
    assert log["counters"]["applied_delete"] == 1 and log["counters"]["applied_update"] == 0, log["counters"]

    # 3. The tensorone_faults scenarios at -vvvv (they check the emulator's log themselves).
    EMULATOR.reset()
    assert finished("faults", play("faults", "faults_vvvv.yml")) == 0
    with open(os.path.join(LOGS, "faults.log"), encoding="utf-8", errors="replace") as log_file:
        output = log_file.read()
    for expected in (
        "FAULTS-TARGET-DONE",
        "FAULTS-TRANSIENT seed",
        "gave up after 3 attempts (api_retries=2)",
        "within api_timeout (1s); gave up after 2 attempts",
        "ESTABLISH LOCAL CONNECTION",
    ):
        assert expected in output, "not in the -vvvv output of the faults scenarios: %s" % expected
    EMULATOR.reset()

    # 4. The key in no output, result file or emulator log; the emulator redacts any key it is sent
    # in a body, a header or an operation name.
    outputs = glob.glob(os.path.join(LOGS, "*.log"))
    leaks = find_secrets(
        [SETTINGS["tensorone_api_key"]],
        outputs + glob.glob(os.path.join(OUT, "race-*.json")) + glob.glob(os.path.join(OUT, "absent-*.json")),
        {"emulator log": json.dumps(EMULATOR_LOGS, indent=1)},
    )
    assert not leaks, "\n".join(["LEAK, key masked:"] + leaks[:40])
    assert "<redacted>" not in json.dumps(EMULATOR_LOGS), "a key reached the emulator outside the api_key parameter"
    assert sum(len(log["requests"]) for log in EMULATOR_LOGS) > 40
    lines = sum(open(path, "rb").read().count(b"\n") for path in outputs)  # pylint: disable=consider-using-with
    assert lines > 1000, lines
    print("concurrency: races, a killed run and the faults scenarios checked; %d lines of -vvvv output searched, no key" % lines)


if __name__ == "__main__":
    main()
