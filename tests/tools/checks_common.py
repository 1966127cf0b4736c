# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What check_ee.py, check_runner.py and the secrets and concurrency targets share.

Standard library only: the targets import it on ansible-test's Python.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUIDE = os.path.join(ROOT, "docs", "docsite", "rst", "guide_awx.rst")


def mask(text, secrets):
    for secret in secrets:
        text = text.replace(secret, "<KEY>")
    return text


def find_secrets(secrets, paths=(), texts=None):
    """'WHERE:LINE: the line, masked' for every line of the files PATHS and of TEXTS ({where: text}) holding one of SECRETS."""
    texts = dict(texts or {})
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as handle:
            texts[path] = handle.read()
    return [
        "%s:%d: %s" % (where, number, mask(line, secrets)[:300])
        for where, text in sorted(texts.items())
        for number, line in enumerate(text.splitlines(), 1)
        if any(secret in line for secret in secrets)
    ]


class CheckFailed(Exception):
    pass


def run(cmd, env=None):
    """Run cmd; its output, or CheckFailed with the output on failure."""
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    if proc.returncode != 0:
        raise CheckFailed("`%s` exited with %d:\n%s" % (" ".join(cmd), proc.returncode, proc.stdout))
    return proc.stdout


def install_collection(work, tarball, env=None):
    """The collection TARBALL installed into WORK/collections, with ansible-galaxy from PATH; that dir."""
    collections = os.path.join(work, "collections")
    run(["ansible-galaxy", "collection", "install", "--offline", "--no-deps", "-p", collections, tarball], env=env)
    return collections


def check_copy_in_guide(path):
    """The AWX guide shows the shipped file verbatim (as an indented code block)."""
    with open(path) as handle:
        block = "".join(("    " + line) if line != "\n" else line for line in handle)
    with open(GUIDE) as handle:
        if block not in handle.read():
            raise CheckFailed("%s no longer shows %s verbatim: update its code block" % (GUIDE, path))


def main(check):
    """CHECK(tarball, work) in a fresh directory (kept on failure); PASS or FAIL as the last line."""
    parser = argparse.ArgumentParser(description=sys.modules["__main__"].__doc__)
    parser.add_argument("--tarball", required=True, help="the collection tarball (make build)")
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    tarball = os.path.abspath(parser.parse_args().tarball)
    work = tempfile.mkdtemp(prefix=name + "-")
    try:
        passed = check(tarball, work)
    except CheckFailed as failure:
        print("FAIL: %s: %s\n      (work dir kept: %s)" % (name, failure, work))
        return 1
    shutil.rmtree(work)
    print("PASS: %s: %s" % (name, passed))
    return 0
