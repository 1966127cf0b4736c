# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The command line, run as documented: PYTHONPATH=tests python -m emulator ...

import json
import os
import re
import select
import signal
import subprocess
import sys

import pytest
import requests

from ansible_collections.tensorone.cloud.tests import emulator as emulator_package

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(emulator_package.__file__)))
KEY = "cli-secret-key-5e2a9c"
SAVE = "mutation Save($input: EndpointInput!) { saveEndpoint(input: $input) { id name } }"
VALID = {"name": "from-cli", "templateId": "tmpl", "gpuIds": "AMPERE_16"}


def environment(**extra):
    env = dict(os.environ)
    env.pop("TENSORONE_EMULATOR_API_KEY", None)
    env["PYTHONPATH"] = os.pathsep.join([TESTS_DIR] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.update(extra)
    return env


class Cli:
    """One emulator process; .url once it has printed it."""

    def __init__(self, *args, **env):
        # Lives across the test; the cli_processes fixture reaps it.
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, "-m", "emulator"] + list(args),
            env=environment(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
        )
        ready, _w, _x = select.select([self.process.stdout], [], [], 15)
        assert ready, "the emulator printed no URL within 15 s"
        self.url = self.process.stdout.readline().strip()

    def stop(self, signum=signal.SIGTERM):
        self.process.send_signal(signum)
        stdout, stderr = self.process.communicate(timeout=10)
        return self.process.returncode, stdout, stderr

    def call(self, query, variables=None, key=KEY):
        response = requests.post(self.url + "/graphql", params={"api_key": key}, json={"query": query, "variables": variables}, timeout=10)
        return response.status_code, response.json()


@pytest.fixture
def cli_processes():
    started = []

    def start(*args, **env):
        cli = Cli(*args, **env)
        started.append(cli)
        return cli

    yield start
    for cli in started:
        if cli.process.poll() is None:
            cli.process.kill()
            cli.process.communicate()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_start_serve_and_exit_cleanly(cli_processes, tmp_path, signum):
    url_file = tmp_path / "url"
    cli = cli_processes(
        "--port",
        "0",
        "--api-key",
        KEY,
        "--api-key",
        "second-key-77",
        "--read-only-key",
        "ro-key-0042",
        "--drain-seconds",
        "0.1",
        "--worker-quota",
        "4",
        "--template",
        "tmpl",
        "other",
        "--seed",
        "3",
        "--template-recent-use-seconds",
        "0.5",
        "--url-file",
        str(url_file),
    )
    assert re.match(r"^http://127\.0\.0\.1:\d+$", cli.url)
    assert url_file.read_text().strip() == cli.url
    assert requests.get(cli.url + "/_emulator/health", timeout=10).json() == {"ok": True}
    assert requests.get(cli.url + "/_emulator/config", timeout=10).json() == {
        "drain_seconds": 0.1,
        "worker_quota": 4,
        "templates": ["tmpl", "other"],
        "discount": None,
        "profile": "full",
        "list_cap": None,
        "template_recent_use_seconds": 0.5,
    }
    assert cli.call(SAVE, {"input": VALID})[0] == 200
    assert cli.call(SAVE, {"input": dict(VALID, templateId="zzz")})[1]["errors"][0]["message"] == "Template not found"
    assert cli.call("{ myself { id } }", key="second-key-77")[0] == 200
    assert cli.call(SAVE, {"input": VALID}, key="ro-key-0042")[1]["errors"][0]["message"] == "Unauthorized"
    assert cli.call("{ myself { id } }", key="nope")[0] == 401
    returncode, stdout, stderr = cli.stop(signum)
    assert returncode == 0
    assert not url_file.exists()
    assert stdout == "" and stderr == ""  # the URL line was already read; nothing else, no key anywhere


def test_profile_and_list_cap(cli_processes):
    cli = cli_processes("--api-key", KEY, "--profile", "documented", "--list-cap", "2")
    config = requests.get(cli.url + "/_emulator/config", timeout=10).json()
    assert (config["profile"], config["list_cap"]) == ("documented", 2)
    status, body = cli.call("{ myself { endpoints { gpuCount } } }")
    assert status == 400 and "'gpuCount'" in body["errors"][0]["message"]
    for number in range(3):
        assert cli.call(SAVE, {"input": dict(VALID, name="from-cli-%d" % number)})[0] == 200
    assert len(cli.call("{ myself { endpoints { id } } }")[1]["data"]["myself"]["endpoints"]) == 2
    assert cli.stop()[0] == 0


def test_key_from_environment(cli_processes):
    cli = cli_processes(TENSORONE_EMULATOR_API_KEY=KEY)
    assert cli.call("{ myself { id } }")[0] == 200
    assert cli.stop()[0] == 0


@pytest.mark.parametrize(
    "args, fragment",
    [
        ([], "TENSORONE_EMULATOR_API_KEY"),
        (["--api-key", KEY, "--host", "0.0.0.0"], "only 127.0.0.1, ::1 or localhost"),
        (["--api-key", KEY, "--state-file", "/nonexistent-dir/state.json"], "directory does not exist"),
        (["--api-key", KEY, "--profile", "real"], "--profile"),
        (["--api-key", KEY, "--list-cap", "-1"], "--list-cap must be >= 0"),
        (["--api-key", KEY, "--list-cap", "many"], "--list-cap"),
    ],
)
def test_usage_errors(args, fragment):
    process = subprocess.run(
        [sys.executable, "-m", "emulator"] + args,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        timeout=30,
        check=False,
    )
    assert process.returncode == 2
    assert fragment in process.stderr and "usage:" in process.stderr
    assert KEY not in process.stderr + process.stdout


def test_state_file_round_trip(cli_processes, tmp_path):
    state_file = tmp_path / "state.json"
    first = cli_processes("--api-key", KEY, "--state-file", str(state_file))
    created = first.call(SAVE, {"input": VALID})[1]["data"]["saveEndpoint"]
    assert first.stop()[0] == 0
    saved = json.loads(state_file.read_text())
    assert [e["id"] for e in saved["endpoints"]] == [created["id"]]
    second = cli_processes("--api-key", KEY, "--state-file", str(state_file))
    assert requests.get(second.url + "/_emulator/state", timeout=10).json()["endpoints"][0]["name"] == "from-cli"
    # Unique names hold across the restart.
    assert second.call(SAVE, {"input": VALID})[1]["errors"][0]["message"] == 'An endpoint named "from-cli" already exists.'
    assert second.stop()[0] == 0
