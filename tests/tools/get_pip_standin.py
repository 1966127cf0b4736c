# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the get-pip.py that `ansible-test --venv` downloads.

ansible-test bootstraps pip in each new virtual environment with a script
from a host this machine cannot reach; it first looks for a cached copy at
~/.ansible/test/cache/get_pip_<X_Y_Z>.py. `make` copies this file there.
It is called as `python get_pip.py [pip options] pip==X.Y.Z [--no-setuptools]
[--no-wheel]`: install pip from the interpreter's bundled wheel (ensurepip),
then the requested packages from the package index.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
sys.exit(subprocess.run([sys.executable, "-m", "pip", "install", "--quiet"] + args, check=False).returncode)
