# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the get-pip.py that `ansible-test --venv` downloads.

ansible-test bootstraps pip in each new virtual environment with a script
from a host this machine cannot reach; it first looks for a cached copy at
~/.ansible/test/cache/get_pip_<X_Y_Z>.py. `make` copies this file there.
It is called as `python get_pip.py [pip options] pip==X.Y.Z [setuptools==...]
[wheel==...] [--no-setuptools] [--no-wheel]`: like get-pip.py, it runs a pip
it carries, here the wheel bundled with the interpreter for ensurepip, to
install the requested packages from the package index. (A Python without that
wheel installs its ensurepip pip first.)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def bundled_pip():
    """The path of the pip wheel this interpreter's ensurepip ships, or None."""
    try:
        import ensurepip
    except ImportError:
        return None
    wheels = glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl"))
    return wheels[0] if wheels else None


args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
wheel = bundled_pip()
if wheel:
    # pip runs from inside its wheel: one install, of the requested pip, instead of two
    pip = [sys.executable, os.path.join(wheel, "pip")]
else:
    subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
    pip = [sys.executable, "-m", "pip"]
sys.exit(subprocess.run(pip + ["install", "--quiet"] + args, check=False).returncode)
