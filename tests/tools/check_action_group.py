# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check that meta/runtime.yml's action group `all` lists exactly the modules, each once.

`module_defaults: group/tensorone.cloud.all` only reaches modules in that
group, so a module missing from it silently ignores the shared api_key.
Usage: check_action_group.py COLLECTION_ROOT
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import yaml


def main(root):
    with open(os.path.join(root, "meta", "runtime.yml")) as handle:
        entries = (yaml.safe_load(handle).get("action_groups") or {}).get("all") or []
    # Entries may be FQCNs; a dict entry is group metadata, not an action.
    listed = [entry.split("tensorone.cloud.", 1)[-1] if entry.startswith("tensorone.cloud.") else entry for entry in entries if isinstance(entry, str)]
    modules = sorted(name[:-3] for name in os.listdir(os.path.join(root, "plugins", "modules")) if name.endswith(".py") and name != "__init__.py")
    if not modules or sorted(listed) != modules:
        print("meta/runtime.yml: action group 'all' lists %s; the modules are %s" % (sorted(listed), modules))
        return 1
    print("action group 'all' lists exactly the %d modules: %s" % (len(modules), ", ".join(modules)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
