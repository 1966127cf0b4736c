#!/usr/bin/env bash
# The API key never leaks. Runs the scenarios of scenarios.yml at -vvvv, twice:
#   play_env.yml              key from the TENSORONE_API_KEY environment variable:
#                             create, update, check+diff, info, absent with drain,
#                             5xx exhaustion, timeout, refused connection
#   play_module_defaults.yml  key from module_defaults (no such variable set):
#                             create, info, absent, bad key, read-only key,
#                             5xx exhaustion, timeout, refused connection
# then searches for the keys (the emulator's, a made-up bad one and a made-up
# read-only one) in the whole output, in the emulator's request log and in
# every registered result, and checks that the scenarios really ran.
#
# ansible-test runs this from the target's directory, with INVENTORY_PATH,
# OUTPUT_DIR and ANSIBLE_COLLECTIONS_PATH set; the emulator's URL and key come
# from ../../integration_config.yml. The keys are handled with xtrace off, so
# this script's own trace never prints them.
set -eux

config=../../integration_config.yml
inventory=${INVENTORY_PATH:-../../inventory}
out_dir=${OUTPUT_DIR:-$(mktemp -d)}
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
log=$out_dir/secrets-vvvv.log
: > "$log"

{ set +x; } 2>/dev/null
api_key=$("$python" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["tensorone_api_key"])' "$config")
suffix=$("$python" -c 'import secrets; print(secrets.token_hex(12))')
export SECRETS_BAD_KEY="t1-bad-key-$suffix"
export SECRETS_READ_ONLY_KEY="t1-read-only-key-$suffix"
secrets=("$api_key" "$SECRETS_BAD_KEY" "$SECRETS_READ_ONLY_KEY")

# Print a file with every key masked (for diagnostics that must not leak either).
masked() {
    "$python" - "$1" "${secrets[@]}" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
for secret in sys.argv[2:]:
    text = text.replace(secret, "<KEY>")
sys.stdout.write(text)
PY
}

failed_runs=()
run_playbook() {  # run_playbook PLAYBOOK [env argument...]: -vvvv, all output appended to $log
    local playbook=$1 rc=0
    shift
    echo "running $playbook at -vvvv (output in $log)"
    echo "=== $playbook" >> "$log"
    env "$@" ansible-playbook -vvvv -i "$inventory" -e @"$config" -e secrets_out="$out_dir" "$playbook" >> "$log" 2>&1 || rc=$?
    [ "$rc" -eq 0 ] || failed_runs+=("$playbook (exit $rc)")
}

run_playbook play_env.yml TENSORONE_API_KEY="$api_key"
run_playbook play_module_defaults.yml -u TENSORONE_API_KEY

# Searched first, so a leak is reported even when a scenario also failed.
leaks=0
for file in "$log" "$out_dir"/secrets-*.json; do
    [ -e "$file" ] || continue
    for secret in "${secrets[@]}"; do
        if grep -qF -- "$secret" "$file"; then
            echo "LEAK: a key appears in $file, at these lines (masked):"
            masked "$file" | grep -n -F '<KEY>' | cut -c1-400 | head -n 20
            leaks=$((leaks + 1))
        fi
    done
done
if [ "${#failed_runs[@]}" -ne 0 ]; then
    echo "failed: ${failed_runs[*]}; the end of the output, keys masked:"
    masked "$log" | tail -n 150
    exit 1
fi
[ "$leaks" -eq 0 ]
set -x

# The emulator redacts any key it is sent: a redaction in its log means a key
# reached it in a body, a header or an operation name.
for source in env module_defaults; do
    "$python" - "$out_dir/secrets-$source.json" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
entries = data["emulator_log"]["requests"]
assert len(entries) >= 8, "only %d requests in the emulator's log" % len(entries)
assert "<redacted>" not in json.dumps(entries), "the emulator redacted a credential it was sent"
results = data["results"]
assert len(results) == 10, sorted(results)
# Where a result still carries its invocation (ansible-core < 2.21), api_key
# shows as masked, never as a value.
for name, result in results.items():
    shown = result.get("invocation", {}).get("module_args", {}).get("api_key")
    assert shown in (None, "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"), (name, "api_key shown")
PY
done

# The scenarios really ran, at -vvvv, with their failures where expected.
[ "$(grep -c 'SECRETS-SCENARIOS-DONE key from' "$log")" -eq 2 ]
grep -q 'ESTABLISH LOCAL CONNECTION' "$log"
grep -q 'Using module file .*tensorone_endpoint_info.py' "$log"
grep -q 'TENSORONE_API_KEY environment variable' "$log"
grep -q 'unauthorized' "$log"
grep -q 'gave up after 2 attempts' "$log"
grep -q 'within api_timeout (1s)' "$log"
grep -q 'Could not connect to 127.0.0.1:1' "$log"
[ "$(wc -l < "$log")" -gt 300 ]
echo "secrets: $(wc -l < "$log") lines of -vvvv output, the emulator log and the registered results searched, no key found"
