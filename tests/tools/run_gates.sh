#!/usr/bin/env bash
# Run gates (make targets) in order, each under a banner with its time; stop
# at the first failure; finish with the list of gates passed.
# A word "a+b+c" is a group run in parallel (2 cores: most of the matrix time
# is waiting on subprocesses); each gate's output goes to a log that is shown,
# in order, once the whole group is done.
# Usage: run_gates.sh "MAKE-COMMAND" GATE|GROUP...   (called by `make test`)
# KEEP_GOING=1: do not stop at a failure; run every gate, list every failure.
# SERIAL=1: run the gates of a group one after the other (slower; for
# telling a timing-sensitive failure from a real one).
set -uo pipefail

make_cmd=$1
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
gate_dir=$root/build/gates
mkdir -p "$gate_dir"
start=$SECONDS
results=()
passed=0
failed=0
skipped=0

banner() {
    echo
    echo "=================================================================="
    echo " $*"
    echo "=================================================================="
}

finish() {  # finish EXIT-CODE HEADLINE
    banner "make test: $2 after $((SECONDS - start)) s"
    printf '  %s\n' "${results[@]}"
    echo
    echo "gates: $passed passed, $failed failed, $skipped skipped"
    exit "$1"
}

record() {  # record GATE RC SECONDS
    if [ "$2" -ne 0 ]; then
        results+=("FAILED  $1 ($3 s)")
        failed=$((failed + 1))
        [ -n "${KEEP_GOING:-}" ] || finish 1 "FAILED at gate '$1'"
    elif [ -s "$gate_dir/$1.skipped" ]; then
        results+=("skipped $1: $(cat "$gate_dir/$1.skipped")")
        skipped=$((skipped + 1))
    else
        results+=("passed  $1 ($3 s)")
        passed=$((passed + 1))
    fi
}

words=("$@")
if [ -n "${SERIAL:-}" ]; then
    IFS=' ' read -r -a words <<<"${*//+/ }"
fi

for word in "${words[@]}"; do
    IFS=+ read -r -a group <<<"$word"
    for gate in "${group[@]}"; do rm -f "$gate_dir/$gate.skipped"; done
    t0=$SECONDS

    if [ "${#group[@]}" -eq 1 ]; then
        banner "$word"
        # shellcheck disable=SC2086  # make_cmd is "make -C dir": split on purpose
        $make_cmd "$word"
        record "$word" $? $((SECONDS - t0))
        continue
    fi

    banner "in parallel: ${group[*]} (logs: build/gates/<gate>.log)"
    pids=()
    for gate in "${group[@]}"; do
        (
            # shellcheck disable=SC2086
            $make_cmd "$gate" >"$gate_dir/$gate.log" 2>&1
            rc=$?
            echo "$((SECONDS - t0))" >"$gate_dir/$gate.seconds"
            status=finished
            [ $rc -eq 0 ] || status=FAILED
            echo "  $gate: $status after $((SECONDS - t0)) s"
            exit $rc
        ) &
        pids+=($!)
    done
    rcs=()
    for pid in "${pids[@]}"; do
        wait "$pid"
        rcs+=($?)
    done
    for i in "${!group[@]}"; do
        banner "${group[$i]} (output)"
        cat "$gate_dir/${group[$i]}.log"
    done
    for i in "${!group[@]}"; do
        record "${group[$i]}" "${rcs[$i]}" "$(cat "$gate_dir/${group[$i]}.seconds")"
    done
done

[ "$failed" -eq 0 ] || finish 1 "$failed gate(s) FAILED"
finish 0 "all gates passed"
