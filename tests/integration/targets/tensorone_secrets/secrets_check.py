# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API key never leaks. Runs the scenarios of scenarios.yml at -vvvv, twice:

  play_env.yml              key from TENSORONE_API_KEY: create, update, check+diff, info,
                            absent with drain, 5xx exhaustion, timeout, refused connection
  play_module_defaults.yml  key from module_defaults: create, info, absent, bad key,
                            read-only key, 5xx exhaustion, timeout, refused connection

then searches the whole output, the emulator's request log and every registered result for
the keys (the emulator's, a made-up bad one, a made-up read-only one), and checks that the
scenarios really ran. runme.sh runs this in the target's directory; ansible-test sets
INVENTORY_PATH and OUTPUT_DIR; ../../integration_config.yml names the emulator and its key.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import json
import os
import re
import secrets
import subprocess
import tempfile

import yaml

CONFIG = "../../integration_config.yml"
INVENTORY = os.environ.get("INVENTORY_PATH", "../../inventory")
OUT = os.environ.get("OUTPUT_DIR") or tempfile.mkdtemp()
LOG = os.path.join(OUT, "secrets-vvvv.log")


def masked(text, keys):
    for key in keys:
        text = text.replace(key, "<KEY>")
    return text


def run_playbook(playbook, env):
    """PLAYBOOK at -vvvv, its output appended to LOG; its exit code."""
    print("running %s at -vvvv (output in %s)" % (playbook, LOG))
    with open(LOG, "ab") as log:
        log.write(("=== %s\n" % playbook).encode())
        log.flush()
        return subprocess.call(["ansible-playbook", "-vvvv", "-i", INVENTORY, "-e", "@" + CONFIG, "-e", "secrets_out=" + OUT, playbook],
                               env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)


def main():
    with open(CONFIG) as config:
        api_key = yaml.safe_load(config)["tensorone_api_key"]
    suffix = secrets.token_hex(12)
    made_up = dict(SECRETS_BAD_KEY="t1-bad-key-" + suffix, SECRETS_READ_ONLY_KEY="t1-read-only-key-" + suffix)
    keys = [api_key] + sorted(made_up.values())
    env = dict(os.environ, **made_up)
    env.pop("TENSORONE_API_KEY", None)
    open(LOG, "w").close()

    failed_runs = []
    for playbook, run_env in (("play_env.yml", dict(env, TENSORONE_API_KEY=api_key)), ("play_module_defaults.yml", env)):
        rc = run_playbook(playbook, run_env)
        if rc:
            failed_runs.append("%s (exit %d)" % (playbook, rc))

    # Searched first, so a leak is reported even when a scenario also failed.
    leaks = []
    for path in [LOG] + sorted(glob.glob(os.path.join(OUT, "secrets-*.json"))):
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
        for key in keys:
            found = ["%d:%s" % (number, masked(line, keys)[:400]) for number, line in enumerate(lines, 1) if key in line]
            if found:
                leaks.append("LEAK: a key appears in %s, at these lines (masked):\n%s" % (path, "\n".join(found[:20])))
    with open(LOG, encoding="utf-8", errors="replace") as handle:
        output = handle.read()
    if failed_runs:
        print("failed: %s; the end of the output, keys masked:" % " ".join(failed_runs))
        print("\n".join(masked(output, keys).splitlines()[-150:]))
    assert not failed_runs and not leaks, "\n".join(leaks) or "a scenario run failed"

    # The emulator redacts any key it is sent: a redaction in its log means a
    # key reached it in a body, a header or an operation name.
    for source in ("env", "module_defaults"):
        with open(os.path.join(OUT, "secrets-%s.json" % source)) as handle:
            data = json.load(handle)
        entries = data["emulator_log"]["requests"]
        assert len(entries) >= 8, "only %d requests in the emulator's log" % len(entries)
        assert "<redacted>" not in json.dumps(entries), "the emulator redacted a credential it was sent"
        results = data["results"]
        assert len(results) == 10, sorted(results)
        # Where a result still carries its invocation (ansible-core < 2.21),
        # api_key shows as masked, never as a value.
        for name, result in results.items():
            shown = result.get("invocation", {}).get("module_args", {}).get("api_key")
            assert shown in (None, "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"), (name, "api_key shown")

    # The scenarios really ran, at -vvvv, with their failures where expected.
    assert sum(1 for line in output.splitlines() if "SECRETS-SCENARIOS-DONE key from" in line) == 2
    for pattern in ("ESTABLISH LOCAL CONNECTION", "Using module file .*tensorone_endpoint_info.py", "TENSORONE_API_KEY environment variable",
                    "unauthorized", "gave up after 2 attempts", r"within api_timeout \(1s\)", "Could not connect to 127.0.0.1:1"):
        assert re.search(pattern, output), "not in the -vvvv output: %s" % pattern
    lines = output.count("\n")
    assert lines > 300, lines
    print("secrets: %d lines of -vvvv output, the emulator log and the registered results searched, no key found" % lines)


if __name__ == "__main__":
    main()
