#!/usr/bin/env bash
# Concurrent and interrupted runs (issue 5, items 5 and 6), every playbook at
# -vvvv, and the key searched for in all of it (item 8):
#   1. two ansible-playbook runs started together create the same 5
#      endpoints (race.yml): both succeed, exactly 5 endpoints exist with the
#      requested settings, each created once, and the runs really raced (the
#      service refused a create as a duplicate name at least once); then two
#      runs delete them together: both succeed, nothing is left
#   2. a state=absent run (absent.yml) is killed (SIGKILL to ansible-playbook,
#      its worker and the module at once) after the scale-down to 0 and before the delete, while the
#      workers drain; the endpoint is still there, scaled to 0; the next run
#      finishes the delete and reports changed
#   3. the tensorone_faults scenarios (items 1-4) once more, at -vvvv
#   4. no key in any output, result file or the emulator's log
#
# ansible-test runs this from the target's directory, with INVENTORY_PATH,
# OUTPUT_DIR and ANSIBLE_COLLECTIONS_PATH set; the emulator's URL and key come
# from ../../integration_config.yml. The key is handled with xtrace off.
set -eux

export ANSIBLE_ROLES_PATH=../
config=../../integration_config.yml
inventory=${INVENTORY_PATH:-../../inventory}
out_dir=${OUTPUT_DIR:-$(mktemp -d)}
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
logs=$out_dir/concurrency-logs
rm -rf "$logs"
mkdir -p "$logs"
started=$(date +%s)

{ set +x; } 2>/dev/null
api_key=$("$python" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["tensorone_api_key"])' "$config")
set -x
emulator_url=$("$python" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["tensorone_emulator_url"].rstrip("/"))' "$config")

# emulator METHOD PATH [JSON]: call a control path, print the JSON reply.
emulator() {
    "$python" - "$emulator_url" "$@" <<'PY'
import json, sys, urllib.request
base, method, path = sys.argv[1:4]
data = sys.argv[4].encode() if len(sys.argv) > 4 else (b"{}" if method == "POST" else None)
request = urllib.request.Request(base + "/_emulator/" + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
with urllib.request.urlopen(request, timeout=30) as response:
    sys.stdout.write(response.read().decode())
PY
}

# check NAME PYTHON-CODE: run assertions over state (the emulator's endpoints),
# log (its request log) and the JSON result files in $out_dir (results[name]).
check() {
    local name=$1 code=$2
    emulator GET state > "$out_dir/state.json"
    emulator GET log > "$out_dir/log.json"
    checks=$((checks + 1))
    cp "$out_dir/log.json" "$logs/emulator-log-$checks.json"
    "$python" - "$out_dir" "$code" <<'PY'
import glob, json, os, sys
out_dir, code = sys.argv[1:3]
state = json.load(open(os.path.join(out_dir, "state.json")))["endpoints"]
log = json.load(open(os.path.join(out_dir, "log.json")))
results = dict((os.path.basename(p)[:-5], json.load(open(p))) for p in glob.glob(os.path.join(out_dir, "*-*.json")))
exec(code)
PY
    echo "checked: $name"
}

# Run a playbook at -vvvv, its output in $logs/NAME.log.
playbook() {
    local name=$1
    shift
    ansible-playbook -vvvv -i "$inventory" -e @"$config" -e conc_out="$out_dir" "$@" > "$logs/$name.log" 2>&1
}

show_log() {  # the tail of a log, the key masked
    { set +x; } 2>/dev/null
    sed -e "s/$api_key/<KEY>/g" "$logs/$1.log" | tail -n 60
    set -x
}

rm -rf "$out_dir"/race-*.json "$out_dir"/absent-*.json "$out_dir"/barrier-*
checks=0

# --- 1. two runs on the same 5 names ---------------------------------------------
# 300 ms per request: both runs read the account before either creates.
emulator POST reset
emulator POST config '{"drain_seconds": 0, "worker_quota": 100}'
emulator POST faults '{"latency_ms": 300}'
race_started=$(date +%s.%N)
playbook race-present-a race.yml -e race_state=present -e race_run=a & pid_a=$!
playbook race-present-b race.yml -e race_state=present -e race_run=b & pid_b=$!
rc_a=0; wait "$pid_a" || rc_a=$?
rc_b=0; wait "$pid_b" || rc_b=$?
race_seconds=$("$python" -c "import time; print('%.1f' % (time.time() - $race_started))")
[ "$rc_a" -eq 0 ] || show_log race-present-a
[ "$rc_b" -eq 0 ] || show_log race-present-b
check "two runs created the same 5 endpoints" '
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
'
[ "$rc_a" -eq 0 ] && [ "$rc_b" -eq 0 ]

emulator POST log/clear
playbook race-absent-a race.yml -e race_state=absent -e race_run=a & pid_a=$!
playbook race-absent-b race.yml -e race_state=absent -e race_run=b & pid_b=$!
rc_a=0; wait "$pid_a" || rc_a=$?
rc_b=0; wait "$pid_b" || rc_b=$?
[ "$rc_a" -eq 0 ] || show_log race-absent-a
[ "$rc_b" -eq 0 ] || show_log race-absent-b
check "two runs deleted the same 5 endpoints" '
assert state == [], state
assert log["counters"]["applied_delete"] == 5, log["counters"]
for run in "ab":
    assert not any(r.get("failed") for r in results["race-absent-" + run]["results"]), run
'
[ "$rc_a" -eq 0 ] && [ "$rc_b" -eq 0 ]
emulator POST faults '{}'

# --- 2. a state=absent run killed between the drain and the delete ---------------------
emulator POST reset
emulator POST config '{"drain_seconds": 6}'
emulator POST seed '{"endpoints": [{"name": "conc-drain", "templateId": "tpl-race", "gpuIds": "AMPERE_24", "workersMin": 2, "workersMax": 2}]}'
emulator POST log/clear
ansible-playbook -vvvv -i "$inventory" -e @"$config" -e conc_out="$out_dir" -e absent_run=killed absent.yml \
    < /dev/null > "$logs/absent-killed.log" 2>&1 &
pid=$!
# wait for the scale-down to 0 to be applied (the drain has begun)
"$python" - "$emulator_url" <<'PY'
import json, sys, time, urllib.request
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    with urllib.request.urlopen(sys.argv[1] + "/_emulator/log", timeout=10) as response:
        entries = json.load(response)["requests"]
    if any(e["mutation_kind"] == "update" and e["applied"] and e["variables"]["input"]["workersMax"] == 0 for e in entries):
        sys.exit(0)
    time.sleep(0.1)
sys.exit("the scale-down never came")
PY
sleep 1
# Kill the whole run at once, like a crash: ansible-playbook, its worker and
# the module. Killing ansible-playbook alone is not enough: in ansible-core
# 2.19 its workers call setsid, so they and the module would keep running.
"$python" - "$pid" <<'PY'
import os, signal, sys
def children():
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            found.setdefault(ppid, []).append(int(entry))
    return found
tree, frontier = [], [int(sys.argv[1])]
while frontier:  # freeze the tree top-down, so nothing forks or exits meanwhile
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
PY
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 137 ]
requests_at_kill=$(emulator GET log | "$python" -c 'import json, sys; print(json.load(sys.stdin)["counters"]["requests"])')
sleep 2
check "the killed run left the endpoint scaled to 0 and draining, and sent nothing more" '
assert len(state) == 1 and state[0]["name"] == "conc-drain", state
assert state[0]["workersMin"] == 0 and state[0]["workersMax"] == 0, state[0]
assert len(state[0]["clusters"]) == 2, state[0]  # still draining
assert log["counters"]["applied_delete"] == 0 and log["counters"]["delete"] == 0, log["counters"]
assert log["counters"]["requests"] == '"$requests_at_kill"', "the killed run is still sending requests"
assert "absent-killed" not in results
'
emulator POST log/clear
rerun_started=$(date +%s.%N)
playbook absent-rerun absent.yml -e absent_run=rerun || { show_log absent-rerun; exit 1; }
rerun_seconds=$("$python" -c "import time; print('%.1f' % (time.time() - $rerun_started))")
check "the next run finished the delete and reported changed" '
assert state == [], state
result = results["absent-rerun"]
assert result["changed"] is True, result
assert len(result["actions"]) == 1 and result["actions"][0].startswith("delete endpoint '"'"'conc-drain'"'"'"), result["actions"]
assert log["counters"]["applied_delete"] == 1 and log["counters"]["applied_update"] == 0, log["counters"]
'

# --- 3. the fault scenarios at -vvvv --------------------------------------------------------
emulator POST reset
faults_started=$(date +%s)
playbook faults faults_vvvv.yml || { show_log faults; exit 1; }
faults_seconds=$(( $(date +%s) - faults_started ))
grep -q 'FAULTS-TARGET-DONE' "$logs/faults.log"
grep -q 'FAULTS-TRANSIENT seed' "$logs/faults.log"
grep -q 'gave up after 3 attempts (api_retries=2)' "$logs/faults.log"
grep -q 'within api_timeout (1s); gave up after 2 attempts' "$logs/faults.log"
grep -q 'ESTABLISH LOCAL CONNECTION' "$logs/faults.log"

# --- 4. the key never appears -----------------------------------------------------------------
# (the faults scenarios check the emulator's log themselves: the role resets it)
{ set +x; } 2>/dev/null
leaks=0
for file in "$logs"/*.log "$logs"/*.json "$out_dir"/race-*.json "$out_dir"/absent-*.json; do
    if grep -qF -- "$api_key" "$file"; then
        echo "LEAK: the key appears in $file, at these lines (masked):"
        sed -e "s/$api_key/<KEY>/g" "$file" | grep -n -F '<KEY>' | head -n 20
        leaks=$((leaks + 1))
    fi
done
[ "$leaks" -eq 0 ]
set -x
# The emulator redacts any key it is sent in a body, a header or an operation name.
if grep -l '<redacted>' "$logs"/emulator-log-*.json; then
    echo "a key reached the emulator outside the api_key parameter"
    exit 1
fi
[ "$(cat "$logs"/emulator-log-*.json | grep -o '"seq"' | wc -l)" -gt 40 ]
lines=$(cat "$logs"/*.log | wc -l)
[ "$lines" -gt 1000 ]

emulator POST reset
echo "CONCURRENCY-FIGURES race of two runs on 5 endpoints: ${race_seconds} s; re-run after the kill: ${rerun_seconds} s;" \
     "faults scenarios at -vvvv: ${faults_seconds} s; ${lines} lines of -vvvv output searched, no key;" \
     "target total $(( $(date +%s) - started )) s"
