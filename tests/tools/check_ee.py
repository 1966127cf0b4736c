# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check that the example execution environment installs tensorone.cloud and requests (no container runtime needed).

`ansible-builder create` (which validates the file) writes the build context of
docs/awx/execution-environment.yml; the context holds nothing downloaded, its
_build/requirements.yml installs this collection from Galaxy in a version range
that admits galaxy.yml's version, and the context's own introspect.py (what the
image build runs over the installed collections) finds requests in the collection
installed from the tarball. The AWX guide shows the file verbatim.
Tools come from PATH: `PATH=.venv/bin:$PATH .venv/bin/python tests/tools/check_ee.py --tarball ...`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import sys

import yaml
from checks_common import ROOT, CheckFailed, check_copy_in_guide, install_collection, main, run
from packaging.specifiers import SpecifierSet

EE_FILE = os.path.join(ROOT, "docs", "awx", "execution-environment.yml")


def check(tarball, work):
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        galaxy = yaml.safe_load(handle)
    collection = "%(namespace)s.%(name)s" % galaxy
    check_copy_in_guide(EE_FILE)
    context = os.path.join(work, "context")
    run(["ansible-builder", "create", "-f", EE_FILE, "-c", context, "--output-filename", "Containerfile"])
    downloaded = [os.path.join(d, name) for d, _dirs, names in os.walk(context) for name in names if name.endswith((".tar.gz", ".whl", ".zip"))]
    if downloaded:
        raise CheckFailed("`ansible-builder create` put downloaded files into the context: %s" % downloaded)

    with open(os.path.join(context, "_build", "requirements.yml")) as handle:
        wanted = [entry for entry in yaml.safe_load(handle)["collections"] if entry.get("name") == collection]
    if len(wanted) != 1 or wanted[0].get("type", "galaxy") != "galaxy" or wanted[0].get("source"):
        raise CheckFailed("_build/requirements.yml does not install %s once, from Galaxy: %r" % (collection, wanted))
    version_range = str(wanted[0].get("version", "*"))
    if version_range != "*" and not SpecifierSet(version_range).contains(str(galaxy["version"]), prereleases=True):
        raise CheckFailed("%s: version range %r excludes this collection's version %s" % (collection, version_range, galaxy["version"]))

    pip_file = os.path.join(work, "requirements.txt")
    run(
        [
            sys.executable,
            os.path.join(context, "_build", "scripts", "introspect.py"),
            "introspect",
            "--write-pip=" + pip_file,
            "--write-bindep=" + os.path.join(work, "bindep.txt"),
            install_collection(work, tarball),
        ]
    )
    with open(pip_file if os.path.exists(pip_file) else os.devnull) as handle:  # no file: nothing to install
        found = [line.strip() for line in handle if re.split(r"[\s\[<>=!~;#]", line, 1)[0].lower() == "requests" and "from collection %s" % collection in line]
    if not found:
        raise CheckFailed("the context's introspect.py does not find requests in %s" % collection)
    return "%s installs %s %s and %s" % (os.path.relpath(EE_FILE, ROOT), collection, version_range, found[0])


if __name__ == "__main__":
    sys.exit(main(check))
