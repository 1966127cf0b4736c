"""Run a command with the Tensor One API emulator up on a free loopback port.

Starts `python -m emulator` (package tests/emulator) with a random API key,
waits until it answers, runs COMMAND with these environment variables set,
then stops the emulator (SIGTERM) and exits with COMMAND's exit code:

  TENSORONE_API_KEY       the random key the emulator accepts
  TENSORONE_API_URL       <base>/graphql
  TENSORONE_EMULATOR_URL  <base> (control paths /_emulator/...)

Usage: with_emulator.py [--log FILE] [--state-file FILE] [--profile full|documented]
                        [--integration-config FILE] -- COMMAND [ARG...]
--integration-config writes the ansible-test integration_config.yml that
hands URL and key to the integration targets (ansible-test passes only a
whitelist of environment variables to them).
"""

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START_TIMEOUT = 30


def wait_for_url(proc, url_file, log):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("emulator exited with code %s before it was ready; its log: %s\n%s" % (proc.returncode, log, tail(log)))
        if os.path.exists(url_file):
            with open(url_file) as f:
                url = f.read().strip().rstrip("/")
            if url:
                try:
                    with urllib.request.urlopen(url + "/_emulator/health", timeout=2) as resp:
                        if resp.status == 200:
                            return url
                except OSError:
                    pass
        time.sleep(0.1)
    proc.terminate()
    sys.exit("emulator did not become ready within %d s; its log: %s\n%s" % (START_TIMEOUT, log, tail(log)))


def tail(path, lines=30):
    try:
        with open(path) as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", default=os.devnull, help="emulator stdout/stderr go here")
    parser.add_argument("--state-file", help="passed to the emulator")
    parser.add_argument("--integration-config", help="write ansible-test's integration_config.yml here")
    parser.add_argument("--drain-seconds", default="1")
    parser.add_argument("--profile", default="full", help="the API the emulator serves: full or documented")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    key = "emu-" + secrets.token_hex(16)
    workdir = tempfile.mkdtemp(prefix="tensorone-emulator-")
    url_file = os.path.join(workdir, "url")
    cmd = [sys.executable, "-m", "emulator", "--port", "0", "--api-key", key,
           "--drain-seconds", args.drain_seconds, "--url-file", url_file, "--profile", args.profile]
    if args.state_file:
        cmd += ["--state-file", args.state_file]
    env = dict(os.environ, PYTHONPATH=TESTS_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))

    with open(args.log, "ab") as log:
        emulator = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = wait_for_url(emulator, url_file, args.log)
        if args.integration_config:
            with open(args.integration_config, "w") as f:
                # JSON is valid YAML and quotes every value safely.
                f.write("---\n")
                for name, value in (("tensorone_api_url", url + "/graphql"), ("tensorone_api_key", key),
                                    ("tensorone_emulator_url", url)):
                    f.write("%s: %s\n" % (name, json.dumps(value)))
        child_env = dict(os.environ, TENSORONE_API_KEY=key, TENSORONE_API_URL=url + "/graphql",
                         TENSORONE_EMULATOR_URL=url)
        try:
            return subprocess.call(command, env=child_env)
        except KeyboardInterrupt:
            return 130
    finally:
        if emulator.poll() is None:
            emulator.send_signal(signal.SIGTERM)
            try:
                emulator.wait(timeout=10)
            except subprocess.TimeoutExpired:
                emulator.kill()
                emulator.wait()
        for name in os.listdir(workdir):
            os.remove(os.path.join(workdir, name))
        os.rmdir(workdir)


if __name__ == "__main__":
    sys.exit(main())
