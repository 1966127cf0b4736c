# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Run a playbook through ansible-runner the way AWX runs a job, and check that
# the API key stays out of everything AWX shows users:
# 1. the emulator starts (tests/emulator/launch.py) with a fresh random key;
# 2. the collection tarball is installed into a private dir, the only entry
#    of ANSIBLE_COLLECTIONS_PATH in the run;
# 3. the injectors of the shipped credential type
#    (docs/awx/tensorone_credential_type.yml, shown verbatim in the AWX guide)
#    are rendered with the key and URL as AWX does, into env/envvars of the
#    private data dir: no variable, extra var or module option holds the key;
# 4. `ansible-runner run` plays tensorone.cloud.demo at -vvvv, a local job;
# 5. the run succeeded, tensorone.cloud modules ran, the emulator got requests
#    and no unauthorized one, and the key is in none of
#    artifacts/<id>/job_events/*.json (what AWX shows), artifacts/<id>/stdout
#    or what ansible-runner printed. artifacts/<id>/command is runner's own
#    record of the whole environment (by design): the key must be there,
#    which proves it was injected and that the search finds it.
# Tools come from PATH, and the modules run on this Python (requests,
# graphql-core): `PATH=.venv/bin:$PATH .venv/bin/python tests/tools/check_runner.py`.

import argparse
import glob
import json
import os
import secrets
import shutil
import subprocess
import sys
from urllib.parse import quote, quote_plus

from checks_common import ROOT, CheckFailed, check_copy_in_guide, install_collection, main, step, tool

sys.path.insert(0, os.path.join(ROOT, "tests", "emulator"))
from control import Control  # noqa: E402 pylint: disable=import-error,wrong-import-position
from launch import emulator_process  # noqa: E402 pylint: disable=import-error,wrong-import-position

CREDENTIAL_TYPE = os.path.join(ROOT, "docs", "awx", "tensorone_credential_type.yml")
DEMO_PLAYBOOK = "tensorone.cloud.demo"
RUN_TIMEOUT = 900
INJECTED = ("TENSORONE_API_KEY", "TENSORONE_API_URL")


def read_bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


def base_env():
    """This process's environment without any Tensor One setting the caller may have."""
    env = dict((name, value) for name, value in os.environ.items() if not name.startswith("TENSORONE_"))
    # A proxy from the caller's environment must not see the loopback requests.
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def credential_env(api_key, api_url):
    """The environment AWX injects for a credential of the shipped type (its own rendering)."""
    import yaml  # pylint: disable=import-outside-toplevel
    from jinja2.sandbox import ImmutableSandboxedEnvironment  # pylint: disable=import-outside-toplevel

    with open(CREDENTIAL_TYPE) as handle:
        credential_type = yaml.safe_load(handle)
    fields = {field["id"]: field for field in credential_type["inputs"]["fields"]}
    if not fields.get("api_key", {}).get("secret") or "api_key" not in credential_type["inputs"].get("required", []):
        raise CheckFailed("%s: api_key must be a required secret field" % CREDENTIAL_TYPE)
    injectors = credential_type["injectors"]["env"]
    if sorted(injectors) != sorted(INJECTED):
        raise CheckFailed("%s: injects %s, expected %s" % (CREDENTIAL_TYPE, sorted(injectors), sorted(INJECTED)))
    sandbox = ImmutableSandboxedEnvironment()

    def render(namespace):
        return dict((name, sandbox.from_string(template).render(**namespace)) for name, template in injectors.items())

    # A credential whose optional URL was left empty still gets a usable URL.
    without_url = render({"api_key": api_key})
    if not without_url["TENSORONE_API_URL"].startswith("https://"):
        raise CheckFailed("%s: with api_url left empty, TENSORONE_API_URL is %r" % (CREDENTIAL_TYPE, without_url["TENSORONE_API_URL"]))
    env = render({"api_key": api_key, "api_url": api_url})
    if env != {"TENSORONE_API_KEY": api_key, "TENSORONE_API_URL": api_url}:
        raise CheckFailed("%s: the injectors do not pass api_key and api_url through unchanged" % CREDENTIAL_TYPE)
    return env


def prepare_private_data_dir(work, collections, injected, playbook):
    """An ansible-runner private data dir: env/envvars, inventory/hosts, project/."""
    private = os.path.join(work, "private")
    for sub in ("env", "inventory", "project"):
        os.makedirs(os.path.join(private, sub))
    envvars = dict(injected)
    envvars.update({
        "ANSIBLE_COLLECTIONS_PATH": collections,
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "ANSIBLE_HOME": os.path.join(work, "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": os.path.join(work, "ansible-tmp"),
        "ANSIBLE_REMOTE_TMP": os.path.join(work, "ansible-tmp"),
    })
    with open(os.path.join(private, "env", "envvars"), "w") as handle:
        json.dump(envvars, handle, indent=2)  # JSON is YAML; runner reads env/envvars as YAML
    with open(os.path.join(private, "inventory", "hosts"), "w") as handle:
        # A local connection, and the Python that has requests (no interpreter discovery).
        handle.write("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    if os.path.isfile(playbook):
        shutil.copy(playbook, os.path.join(private, "project"))
        playbook = os.path.basename(playbook)
    return private, playbook


def find_secret(data, api_key):
    forms = set((api_key, quote(api_key, safe=""), quote_plus(api_key), json.dumps(api_key)[1:-1]))
    return any(form.encode("utf-8") in data for form in forms)


def check_artifacts(private, ident, api_key, printed):
    artifacts = os.path.join(private, "artifacts", ident)
    status = read_bytes(os.path.join(artifacts, "status")).decode().strip()
    rc = read_bytes(os.path.join(artifacts, "rc")).decode().strip()
    if status != "successful" or rc != "0":
        raise CheckFailed("the run ended %s with rc %s; its output:\n%s" % (status, rc, printed.decode("utf-8", "replace")[-4000:]))

    event_files = sorted(glob.glob(os.path.join(artifacts, "job_events", "*.json")))
    if not event_files:
        raise CheckFailed("no job events in %s" % artifacts)
    leaks = [os.path.relpath(path, private) for path in event_files if find_secret(read_bytes(path), api_key)]
    for path in (os.path.join(artifacts, "stdout"), os.path.join(artifacts, "stderr")):
        if os.path.exists(path) and find_secret(read_bytes(path), api_key):
            leaks.append(os.path.relpath(path, private))
    if find_secret(printed, api_key):
        leaks.append("ansible-runner's own stdout/stderr")
    if leaks:
        raise CheckFailed("the API key appears in: %s" % ", ".join(leaks))

    # Positive control: runner's own record of the job environment holds the key.
    if not find_secret(read_bytes(os.path.join(artifacts, "command")), api_key):
        raise CheckFailed("the key is not in artifacts/%s/command either: was it injected at all?" % ident)

    actions = set()
    for path in event_files:
        with open(path) as handle:
            event = json.load(handle)
        action = event.get("event_data", {}).get("task_action") or ""
        if event.get("event") == "runner_on_ok" and action.startswith("tensorone.cloud."):
            actions.add(action)
    if not actions:
        raise CheckFailed("no tensorone.cloud module ran successfully (no runner_on_ok event for one)")
    return len(event_files), sorted(actions)


def check(args, work):
    api_key = "t1key-" + secrets.token_hex(20)
    runner = tool("ansible-runner")
    tool("ansible-playbook")
    env = base_env()
    collections, tarball = install_collection(work, env, args.tarball)
    step("installed %s into %s" % (os.path.basename(tarball), collections))

    playbook = args.playbook
    if playbook == DEMO_PLAYBOOK and not os.path.isfile(
            os.path.join(collections, "ansible_collections", "tensorone", "cloud", "playbooks", "demo.yml")):
        raise CheckFailed("the collection has no playbooks/demo.yml (%s)" % DEMO_PLAYBOOK)
    with emulator_process(log=os.path.join(work, "emulator.log"), api_key=api_key) as emulator:
        injected = credential_env(api_key, emulator.graphql_url)
        check_copy_in_guide(CREDENTIAL_TYPE)
        private, playbook_arg = prepare_private_data_dir(work, collections, injected, playbook)
        step("emulator at %s; credential injected through %s" % (emulator.url, os.path.join(private, "env", "envvars")))

        ident = "check-runner"
        cmd = [runner, "run", private, "-p", playbook_arg, "--ident", ident]
        if args.verbosity:
            cmd.append("-" + "v" * args.verbosity)
        step("%s (playbook %s)" % (" ".join(cmd), playbook))
        try:
            proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise CheckFailed("ansible-runner did not finish within %d s" % RUN_TIMEOUT)
        events, actions = check_artifacts(private, ident, api_key, proc.stdout)
        counters = Control(emulator.url).log()["counters"]
    if not counters["requests"] or counters["unauthorized"]:
        raise CheckFailed("emulator counters %r: expected requests and none unauthorized" % counters)
    step("run successful; %d job events, modules %s; emulator: %d requests, %d mutations, 0 unauthorized"
         % (events, ", ".join(actions), counters["requests"], counters["mutations"]))
    step("the key is in none of the job events, nor artifacts stdout, nor runner's output "
         "(it is in artifacts/%s/command: runner's own record of the environment)" % ident)
    return "%s ran through ansible-runner with the key injected as AWX does; the key never showed" % playbook


if __name__ == "__main__":
    options = argparse.ArgumentParser()
    options.add_argument("--playbook", default=DEMO_PLAYBOOK, help="playbook file or FQCN (default: %(default)s)")
    options.add_argument("--verbosity", type=int, default=4, choices=range(0, 6), help="ansible-runner -v count (default 4)")
    sys.exit(main("Run a playbook through ansible-runner as AWX would; check the key never shows.", check, options))
