# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Play tensorone.cloud.demo, then tensorone.cloud.rotate_registry_auth twice, through ansible-runner at -vvvv the way
AWX runs a job, and check that the key and the registry login never show.

The collection tarball is installed into a private dir, the only entry of
ANSIBLE_COLLECTIONS_PATH. The emulator starts with a fresh key; the injectors of
docs/awx/tensorone_credential_type.yml (shown verbatim in the AWX guide) are
rendered with the key and URL as AWX renders them, into env/envvars: no variable,
extra var or module option holds the key. The run must succeed, run
tensorone.cloud modules, reach the emulator with no unauthorized request, and the
key must be in none of the job events (what AWX shows), artifacts stdout or
runner's own output, while the same search finds it in artifacts/<id>/command
(runner's record of the job environment, by design). The rotation jobs get the
registry login from docs/awx/registry_credential_type.yml's injectors too: the
first creates the credential, the second rotates it (the emulator counts one
rotation), and the login shows nowhere either.
Tools come from PATH, and the modules run on this Python (requests, graphql-core):
`PATH=.venv/bin:$PATH .venv/bin/python tests/tools/check_runner.py --tarball ...`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import secrets
import subprocess
import sys

import yaml
from checks_common import ROOT, CheckFailed, check_copy_in_guide, find_secrets, install_collection, main
from jinja2.sandbox import ImmutableSandboxedEnvironment

sys.path.insert(0, os.path.join(ROOT, "tests", "emulator"))
from control import Control  # noqa: E402 pylint: disable=import-error,wrong-import-position
from launch import emulator_process  # noqa: E402 pylint: disable=import-error,wrong-import-position

CREDENTIAL_TYPE = os.path.join(ROOT, "docs", "awx", "tensorone_credential_type.yml")
REGISTRY_CREDENTIAL_TYPE = os.path.join(ROOT, "docs", "awx", "registry_credential_type.yml")


def credential_env(api_key, api_url):
    """The environment AWX injects for a credential of the shipped type."""
    with open(CREDENTIAL_TYPE) as handle:
        credential_type = yaml.safe_load(handle)
    fields = dict((field["id"], field) for field in credential_type["inputs"]["fields"])
    if not fields["api_key"].get("secret") or "api_key" not in credential_type["inputs"]["required"]:
        raise CheckFailed("%s: api_key must be a required secret field" % CREDENTIAL_TYPE)
    injectors = credential_type["injectors"]["env"]
    sandbox = ImmutableSandboxedEnvironment()

    def render(**inputs):
        return dict((name, sandbox.from_string(template).render(**inputs)) for name, template in injectors.items())

    # A credential whose optional URL was left empty still gets a usable URL.
    default_url = render(api_key=api_key)["TENSORONE_API_URL"]
    if not default_url.startswith("https://"):
        raise CheckFailed("%s: with api_url left empty, TENSORONE_API_URL is %r" % (CREDENTIAL_TYPE, default_url))
    env = render(api_key=api_key, api_url=api_url)
    if env != {"TENSORONE_API_KEY": api_key, "TENSORONE_API_URL": api_url}:
        raise CheckFailed("%s: the injectors do not pass exactly api_key and api_url through: %r" % (CREDENTIAL_TYPE, sorted(env)))
    return env


def registry_env(username, password):
    """The environment AWX injects for a credential of the shipped registry login type."""
    with open(REGISTRY_CREDENTIAL_TYPE) as handle:
        credential_type = yaml.safe_load(handle)
    fields = credential_type["inputs"]["fields"]
    if not all(field.get("secret") for field in fields) or len(credential_type["inputs"]["required"]) != len(fields):
        raise CheckFailed("%s: every field must be a required secret field" % REGISTRY_CREDENTIAL_TYPE)
    sandbox = ImmutableSandboxedEnvironment()
    env = dict(
        (name, sandbox.from_string(template).render(registry_username=username, registry_password=password))
        for name, template in credential_type["injectors"]["env"].items()
    )
    if env != {"TENSORONE_REGISTRY_USERNAME": username, "TENSORONE_REGISTRY_PASSWORD": password}:
        raise CheckFailed("%s: the injectors do not pass exactly the username and password through: %r" % (REGISTRY_CREDENTIAL_TYPE, sorted(env)))
    return env


def run_job(private, env, envvars, playbook, ident, extravars=None):
    """One job through ansible-runner at -vvvv, its environment in env/envvars as AWX writes it: (events, what runner printed)."""
    with open(os.path.join(private, "env", "envvars"), "w") as handle:
        json.dump(envvars, handle)  # JSON is YAML, which runner reads
    with open(os.path.join(private, "env", "extravars"), "w") as handle:
        json.dump(extravars or {}, handle)
    command = ["ansible-runner", "run", private, "-p", playbook, "--ident", ident, "-vvvv"]
    printed = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900, universal_newlines=True, check=False).stdout
    artifacts = os.path.join(private, "artifacts", ident)
    with open(os.path.join(artifacts, "status")) as status, open(os.path.join(artifacts, "rc")) as rc:
        ended = (status.read().strip(), rc.read().strip())
    if ended != ("successful", "0"):
        raise CheckFailed("%s ended %s with rc %s; its output:\n%s" % ((playbook,) + ended + (printed[-4000:],)))
    return sorted(glob.glob(os.path.join(artifacts, "job_events", "*.json"))), printed


def module_actions(events):
    actions = set()
    for path in events:
        with open(path) as handle:
            event = json.load(handle)
        if event["event"] == "runner_on_ok" and event["event_data"].get("task_action", "").startswith("tensorone.cloud."):
            actions.add(event["event_data"]["task_action"])
    return actions


def check(tarball, work):
    # Only [a-z0-9-]: URL-quoted or JSON-escaped, the key is the same text, so one search finds every form.
    api_key = "t1key-" + secrets.token_hex(20)
    login = ("robot-" + secrets.token_hex(8), "regpw-" + secrets.token_hex(16))
    env = dict((name, value) for name, value in os.environ.items() if not name.startswith("TENSORONE_"))
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    private = os.path.join(work, "private")
    for sub in ("env", "inventory"):
        os.makedirs(os.path.join(private, sub))
    collections = install_collection(work, tarball, env)
    check_copy_in_guide(CREDENTIAL_TYPE)
    check_copy_in_guide(REGISTRY_CREDENTIAL_TYPE)
    with open(os.path.join(private, "inventory", "hosts"), "w") as handle:
        handle.write("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    with emulator_process(log=os.path.join(work, "emulator.log"), api_key=api_key) as emulator:
        envvars = dict(
            credential_env(api_key, emulator.graphql_url),
            ANSIBLE_COLLECTIONS_PATH=collections,
            ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
            ANSIBLE_HOME=os.path.join(work, "ansible-home"),
            ANSIBLE_LOCAL_TEMP=os.path.join(work, "tmp"),
            ANSIBLE_REMOTE_TMP=os.path.join(work, "tmp"),
        )
        events, printed = run_job(private, env, envvars, "tensorone.cloud.demo", "job")
        counters = Control(emulator.url).log()["counters"]
        # The rotation job, twice (a create, then a rotation), with both credentials injected as AWX injects them.
        rotation = dict(envvars, **registry_env(*login))
        outputs = {"ansible-runner's output": printed}
        rotation_events = []
        for run in ("rotate-1", "rotate-2"):
            job_events, outputs["ansible-runner's output of %s" % run] = run_job(
                private, env, rotation, "tensorone.cloud.rotate_registry_auth", run, {"registry_auth_name": "ghcr-team"}
            )
            rotation_events += job_events
        credentials = Control(emulator.url).state()["registryAuths"]

    artifacts = [os.path.join(private, "artifacts", ident) for ident in ("job", "rotate-1", "rotate-2")]
    outputs_files = [path for artifact in artifacts for path in glob.glob(os.path.join(artifact, "std*"))]
    leaks = find_secrets([api_key] + list(login), events + rotation_events + outputs_files, outputs)
    if leaks:
        raise CheckFailed("the API key or the registry login shows:\n%s" % "\n".join(leaks[:40]))
    if not find_secrets([api_key], [os.path.join(artifacts[0], "command")]):
        raise CheckFailed("the key is not in artifacts/job/command either: was it injected at all?")
    actions = module_actions(events)
    if not actions or not counters["requests"] or counters["unauthorized"]:
        raise CheckFailed("modules that ran: %s; emulator counters %r" % (sorted(actions), counters))
    if [(c["name"], c["rotations"]) for c in credentials] != [("ghcr-team", 1)] or module_actions(rotation_events) != {
        "tensorone.cloud.tensorone_registry_auth"
    }:
        raise CheckFailed("after two rotation jobs the emulator holds the credentials %r" % credentials)
    return (
        "tensorone.cloud.demo ran through ansible-runner (%d job events, %s; %d requests, none unauthorized) with the key "
        "injected as AWX does; tensorone.cloud.rotate_registry_auth created and then rotated a credential with the login "
        "injected likewise (%d job events); the key and the login are in no job event or output, the key only in runner's "
        "own artifacts/job/command" % (len(events), ", ".join(sorted(actions)), counters["requests"], len(rotation_events))
    )


if __name__ == "__main__":
    sys.exit(main(check))
