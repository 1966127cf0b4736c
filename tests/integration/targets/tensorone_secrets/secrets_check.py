# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API key never leaks. Runs the scenarios of scenarios.yml at -vvvv, twice:

  play_env.yml              key from TENSORONE_API_KEY: create, update, check+diff, info,
                            absent with drain, 5xx exhaustion, timeout, refused connection
  play_module_defaults.yml  key from module_defaults: create, info, absent, bad key,
                            read-only key, 5xx exhaustion, timeout, refused connection

and in both a secret created, listed and deleted (tensorone_secret; on the documented service
the create fails), then searches the whole output, the emulator's request log and every
registered result for the keys (the emulator's, a made-up bad one, a made-up read-only one), the
made-up secret_env values both runs first give as text and the secret's value (the
text-secret-... values of scenarios.yml), and checks
that the scenarios really ran. Results carry their invocation (the module's arguments, where
ansible-core showed the text's values) on every ansible-core version: 2.21+ adds it only with
ANSIBLE_INJECT_INVOCATION. runme.sh runs this in the target's directory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import re
import secrets
import subprocess

import yaml
from checks_common import find_secrets, mask  # pylint: disable=import-error

CONFIG = "../../integration_config.yml"
OUT = os.environ["OUTPUT_DIR"]
LOG = os.path.join(OUT, "secrets-vvvv.log")


def main():
    with open(CONFIG) as config:
        api_key = yaml.safe_load(config)["tensorone_api_key"]
    made_up = dict(SECRETS_BAD_KEY="t1-bad-key-" + secrets.token_hex(12), SECRETS_READ_ONLY_KEY="t1-read-only-key-" + secrets.token_hex(12))
    with open("scenarios.yml") as scenarios:
        text_secrets = sorted(set(re.findall(r"text-secret-[a-z]+-[0-9a-f]{12}", scenarios.read())))
    assert len(text_secrets) == 6, text_secrets
    keys = [api_key] + sorted(made_up.values()) + text_secrets
    env = dict(os.environ, ANSIBLE_INJECT_INVOCATION="true", **made_up)
    env.pop("TENSORONE_API_KEY", None)
    rcs = {}
    with open(LOG, "wb") as log:
        for playbook, run_env in (("play_env.yml", dict(env, TENSORONE_API_KEY=api_key)), ("play_module_defaults.yml", env)):
            log.write(("=== %s\n" % playbook).encode())
            log.flush()
            rcs[playbook] = subprocess.call(
                ["ansible-playbook", "-vvvv", "-i", os.environ["INVENTORY_PATH"], "-e", "@" + CONFIG, "-e", "secrets_out=" + OUT, playbook],
                env=run_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
    with open(LOG, encoding="utf-8", errors="replace") as log:
        output = log.read()
    # Searched first, so a leak is reported even when a scenario also failed.
    leaks = find_secrets(keys, [LOG] + sorted(glob.glob(os.path.join(OUT, "secrets-*.json"))))
    if any(rcs.values()):
        print("\n".join(mask(output, keys).splitlines()[-150:]))
    assert not leaks and not any(rcs.values()), "\n".join(["LEAK, keys masked:"] + leaks[:40]) if leaks else rcs

    # The emulator redacts any key it is sent: a redaction in its log means a
    # key reached it in a body, a header or an operation name.
    for source in ("env", "module_defaults"):
        with open(os.path.join(OUT, "secrets-%s.json" % source)) as handle:
            data = json.load(handle)
        entries = data["emulator_log"]["requests"]
        assert len(entries) >= 8, "only %d requests in the emulator's log" % len(entries)
        assert "<redacted>" not in json.dumps(entries), "the emulator redacted a credential it was sent"
        assert len(data["results"]) == 17, sorted(data["results"])
        # Where a result carries its invocation, api_key shows as masked, never as a value.
        for name, result in data["results"].items():
            shown = result.get("invocation", {}).get("module_args", {}).get("api_key")
            assert shown in (None, "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"), (name, "api_key shown")

    # The scenarios really ran, at -vvvv, with their failures where expected.
    assert sum("SECRETS-SCENARIOS-DONE key from" in line for line in output.splitlines()) == 2
    for pattern in (
        "ESTABLISH LOCAL CONNECTION",
        "Using module file .*tensorone_endpoint_info.py",
        "Using module file .*tensorone_secret.py",
        "TENSORONE_API_KEY environment variable",
        "unauthorized",
        "gave up after 2 attempts",
        r"within api_timeout \(1s\)",
        "Could not connect to 127.0.0.1:1",
        "secret_env must be a mapping, got a string",
        "unable to convert to int",
    ):
        assert re.search(pattern, output), "not in the -vvvv output: %s" % pattern
    # The invocation of each text scenario (2 runs x 4) is in the output, where ansible-core showed the values: masked.
    masked = re.findall(r"\bLICENSE\W+VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", output)
    assert len(masked) == 8, "%d masked secret_env invocations in the -vvvv output, not 8" % len(masked)
    assert output.count("\n") > 300, output.count("\n")
    print("secrets: %d lines of -vvvv output, the emulator log and the registered results searched, no key or secret value found" % output.count("\n"))


if __name__ == "__main__":
    main()
