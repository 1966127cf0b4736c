# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the EXAMPLES of the named modules, one after the other, as one tasks file.

Usage: write_examples.py OUTPUT MODULE [MODULE...]
The modules are found in the installed collection (ANSIBLE_COLLECTIONS_PATH)
and read as text: EXAMPLES is taken from the file, never imported or changed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ast
import os
import sys


def module_file(name):
    roots = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)
    roots.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), *[os.pardir] * 7))
    for root in roots:
        path = os.path.join(root, "ansible_collections", "tensorone", "cloud", "plugins", "modules", name + ".py")
        if os.path.isfile(path):
            return path
    raise SystemExit("module %s not found under %s" % (name, roots))


def examples_of(path):
    with open(path) as source:
        tree = ast.parse(source.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "EXAMPLES":
            return ast.literal_eval(node.value)
    raise SystemExit("no EXAMPLES in %s" % path)


def main(output, names):
    parts = ["---\n"]
    for name in names:
        text = examples_of(module_file(name)).strip("\n")
        parts.append("# EXAMPLES of %s\n%s\n" % (name, text.replace("---\n", "", 1)))
    with open(output, "w") as tasks:
        tasks.write("\n".join(parts))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2:])
