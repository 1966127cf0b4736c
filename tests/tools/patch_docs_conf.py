# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make the conf.py from `antsibull-docs sphinx-init` build offline.

- intersphinx_mapping -> {}: the inventories live on hosts this machine (and
  a reader behind a firewall) cannot reach.
- Two labels only exist on docs.ansible.com and antsibull-docs' templates
  refer to them, and so do ansible-core's own environment variables
  (E(ANSIBLE_...) in module docs); with nitpicky Sphinx and -W they would
  fail the build, so they are ignored (they render as plain text). Any other
  dangling reference still fails.

Usage: patch_docs_conf.py build/docs/conf.py
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import sys

DOCS_ANSIBLE_COM_ONLY = ("ansible_configuration_settings", "common_return_values")


def main():
    path = sys.argv[1]
    with open(path) as f:
        conf = f.read()
    conf, count = re.subn(r"^intersphinx_mapping = \{.*?^\}\n", "intersphinx_mapping = {}\n", conf, flags=re.S | re.M)
    if count != 1:
        sys.exit("%s: found %d intersphinx_mapping blocks, expected 1: has antsibull-docs changed its template?" % (path, count))
    conf += "\n# Added by tests/tools/patch_docs_conf.py (offline build)\n"
    conf += "nitpick_ignore = %r\n" % [("ref", label) for label in DOCS_ANSIBLE_COM_ONLY]
    conf += "nitpick_ignore_regex = [('envvar', r'ANSIBLE_[A-Z0-9_]+')]\n"
    with open(path, "w") as f:
        f.write(conf)


if __name__ == "__main__":
    main()
