# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# What check_ee.py and check_runner.py share.


class CheckFailed(Exception):
    pass


def check_copy_in_guide(path, guide):
    """The guide shows the shipped file verbatim (as an indented code block)."""
    with open(path) as handle:
        lines = handle.read().splitlines()
    block = "\n".join(("    " + line) if line else "" for line in lines) + "\n"
    with open(guide) as handle:
        if block not in handle.read():
            raise CheckFailed("%s no longer shows %s verbatim: update its code block" % (guide, path))
