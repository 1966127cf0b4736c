# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# What check_ee.py and check_runner.py share: tools from PATH, the collection
# installed from a tarball, the guide that shows shipped files, and the
# command line (--tarball, --workdir, --keep; PASS or FAIL as the last line).

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUIDE = os.path.join(ROOT, "docs", "docsite", "rst", "guide_awx.rst")
NAME = os.path.splitext(os.path.basename(sys.argv[0]))[0]


class CheckFailed(Exception):
    pass


def step(message):
    print("%s: %s" % (NAME, message), flush=True)


def tool(name):
    path = shutil.which(name)
    if not path:
        raise CheckFailed("%s is not on PATH (put the project's .venv/bin first on PATH)" % name)
    return path


def run(cmd, env=None):
    """Run cmd; its output, or CheckFailed with the output on failure."""
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    if proc.returncode != 0:
        raise CheckFailed("`%s` exited with %d:\n%s" % (" ".join(cmd), proc.returncode, proc.stdout))
    return proc.stdout


def install_collection(work, env, tarball=None):
    """Install the collection (TARBALL, or one built from this tree) into WORK/collections; that dir and the tarball."""
    galaxy = tool("ansible-galaxy")
    if not tarball:
        run([galaxy, "collection", "build", "--force", "--output-path", os.path.join(work, "dist"), ROOT], env=env)
        tarballs = glob.glob(os.path.join(work, "dist", "*.tar.gz"))
        if len(tarballs) != 1:
            raise CheckFailed("expected one tarball from `ansible-galaxy collection build`, found %r" % tarballs)
        tarball = tarballs[0]
    collections = os.path.join(work, "collections")
    run([galaxy, "collection", "install", "--offline", "--no-deps", "-p", collections, tarball], env=env)
    return collections, tarball


def check_copy_in_guide(path):
    """The AWX guide shows the shipped file verbatim (as an indented code block)."""
    with open(path) as handle:
        lines = handle.read().splitlines()
    block = "\n".join(("    " + line) if line else "" for line in lines) + "\n"
    with open(GUIDE) as handle:
        if block not in handle.read():
            raise CheckFailed("%s no longer shows %s verbatim: update its code block" % (GUIDE, path))


def main(description, check, parser=None):
    """Command line of a check: CHECK(args, work) does the work in a fresh dir and returns what passed."""
    parser = parser or argparse.ArgumentParser()
    parser.description = description
    parser.add_argument("--tarball", help="use this collection tarball instead of building one from the tree")
    parser.add_argument("--workdir", help="work here (created; kept) instead of a temporary directory")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if args.tarball:
        args.tarball = os.path.abspath(args.tarball)
    started = time.monotonic()
    if args.workdir:
        os.makedirs(args.workdir)
    work = os.path.abspath(args.workdir) if args.workdir else tempfile.mkdtemp(prefix=NAME + "-")
    try:
        passed = check(args, work)
    except CheckFailed as failure:
        print("FAIL: %s: %s" % (NAME, failure))
        print("      (work dir kept: %s)" % work)
        return 1
    if not (args.workdir or args.keep):
        shutil.rmtree(work)
    print("PASS: %s: %s (%.1f s)" % (NAME, passed, time.monotonic() - started))
    return 0
