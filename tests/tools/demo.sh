#!/usr/bin/env bash
# Run the installed collection's demo playbook (tensorone.cloud.demo) and
# show what the API holds afterwards. Called by `make demo` (inside
# with_emulator.py, which sets TENSORONE_API_KEY/_API_URL/_EMULATOR_URL) and
# by `make demo-live` (real service: the caller sets TENSORONE_API_KEY).
# Extra arguments go to ansible-playbook.
set -euo pipefail

: "${TENSORONE_API_KEY:?TENSORONE_API_KEY is not set}"
target=${TENSORONE_API_URL:-the Tensor One API}
echo ">> ansible-playbook tensorone.cloud.demo --diff against $target"
ansible-playbook tensorone.cloud.demo --diff "$@"

if [ -n "${TENSORONE_EMULATOR_URL:-}" ]; then
    echo ">> what the emulator holds now (GET /_emulator/state):"
    python - "$TENSORONE_EMULATOR_URL/_emulator/state" <<'EOF'
import json
import sys
import urllib.request

with urllib.request.urlopen(sys.argv[1], timeout=10) as resp:
    endpoints = json.load(resp).get("endpoints", [])
print("   %d endpoint(s)%s" % (len(endpoints), ":" if endpoints else " - the demo cleaned up after itself"))
for ep in endpoints:
    print("   - %s (id %s), workers %s..%s, %d cluster(s)" % (
        ep.get("name"), ep.get("id"), ep.get("workersMin"), ep.get("workersMax"), len(ep.get("clusters") or [])))
EOF
fi
echo ">> demo finished"
