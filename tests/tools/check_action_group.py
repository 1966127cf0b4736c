# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check that meta/runtime.yml's action group `all` lists exactly the modules.

`module_defaults: group/tensorone.cloud.all` only reaches modules in that
group, so a module missing from it silently ignores the shared api_key.
Usage: check_action_group.py COLLECTION_ROOT
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys

import yaml

PREFIX = "tensorone.cloud."


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    with open(os.path.join(root, "meta", "runtime.yml")) as f:
        runtime = yaml.safe_load(f) or {}

    entries = (runtime.get("action_groups") or {}).get("all") or []
    # Entries may be FQCNs; a dict entry is group metadata, not an action.
    listed = [e[len(PREFIX):] if e.startswith(PREFIX) else e for e in entries if isinstance(e, str)]

    mod_dir = os.path.join(root, "plugins", "modules")
    modules = sorted(
        os.path.splitext(n)[0]
        for n in (os.listdir(mod_dir) if os.path.isdir(mod_dir) else [])
        if n.endswith(".py") and n != "__init__.py"
    )

    problems = []
    problems += ["listed twice in action group 'all': %s" % m for m in sorted({m for m in listed if listed.count(m) > 1})]
    problems += ["module missing from action group 'all': %s" % m for m in modules if m not in listed]
    problems += ["action group 'all' lists a module that does not exist: %s" % m for m in sorted(set(listed) - set(modules))]
    if not modules:
        problems.append("no modules found in plugins/modules")

    if problems:
        print("meta/runtime.yml:", *problems, sep="\n  ")
        return 1
    print("action group 'all' lists exactly the %d modules: %s" % (len(modules), ", ".join(modules)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
