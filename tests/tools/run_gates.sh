#!/usr/bin/env bash
# Run gates (make targets) one after the other, with a banner and the time of
# each; stop at the first failure; finish with the list of gates passed.
# Usage: run_gates.sh "MAKE-COMMAND" GATE...   (called by `make test`)
set -uo pipefail

make_cmd=$1
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
skip_file=$root/build/.gate-skipped
total=$#
n=0
start=$SECONDS
done_lines=()
passed=0
skipped=0

summary() {
    echo
    echo "=================================================================="
    echo " make test: $1 after $((SECONDS - start)) s"
    echo "=================================================================="
    for line in "${done_lines[@]}"; do echo "  $line"; done
    echo
}

for gate in "$@"; do
    n=$((n + 1))
    echo
    echo "=================================================================="
    echo " [$n/$total] $gate"
    echo "=================================================================="
    rm -f "$skip_file"
    t0=$SECONDS
    # shellcheck disable=SC2086  # make_cmd is "make -C dir", split on purpose
    if ! $make_cmd "$gate"; then
        done_lines+=("FAILED  $gate ($((SECONDS - t0)) s)")
        summary "FAILED at gate '$gate'"
        echo "gates: $passed passed, 1 failed, $skipped skipped"
        exit 1
    fi
    if [ -s "$skip_file" ]; then
        done_lines+=("skipped $gate: $(cat "$skip_file")")
        skipped=$((skipped + 1))
    else
        done_lines+=("passed  $gate ($((SECONDS - t0)) s)")
        passed=$((passed + 1))
    fi
done

rm -f "$skip_file"
summary "all gates passed"
echo "gates: $passed passed, 0 failed, $skipped skipped"
