# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mirror the collection's working tree to DEST (a real .../ansible_collections/<namespace>/<name> path).

Copies every file git would commit (tracked files, and untracked ones that
.gitignore does not exclude, but not ansible-lint's .ansible/ cache), removes
files in DEST that are no longer in the source, and leaves DEST/tests/output
(ansible-test's results and caches) alone. DEST gets an empty git repository
of its own: ansible-test, ansible-lint and friends look for the nearest .git
upwards, and would otherwise find the source's, in which build/ is ignored.

Usage: sync_tree.py SRC DEST
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import filecmp
import os
import shutil
import subprocess
import sys

KEEP = (".git/", "tests/output/")


def main():
    src, dest = (os.path.abspath(p) for p in sys.argv[1:3])
    listed = subprocess.run(["git", "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            check=True, stdout=subprocess.PIPE).stdout.decode().split("\0")
    # git lists tracked files deleted from the work tree too: skip those.
    wanted = set(f for f in listed if f and not f.startswith(".ansible/") and os.path.isfile(os.path.join(src, f)))

    for rel in sorted(wanted):
        s, d = os.path.join(src, rel), os.path.join(dest, rel)
        if not (os.path.isfile(d) and not os.path.islink(d) and filecmp.cmp(s, d, shallow=False)
                and os.stat(s).st_mode == os.stat(d).st_mode):
            os.makedirs(os.path.dirname(d), exist_ok=True)
            if os.path.lexists(d):
                os.remove(d)
            shutil.copy2(s, d, follow_symlinks=False)

    for root, dirs, names in os.walk(dest, topdown=False):
        rel = os.path.relpath(root, dest) + "/"
        if rel.startswith(KEEP):
            continue
        for name in names:
            if (rel + name)[2 if rel == "./" else 0:] not in wanted:
                os.remove(os.path.join(root, name))
        if root != dest and not os.listdir(root):
            os.rmdir(root)

    if not os.path.isdir(os.path.join(dest, ".git")):
        subprocess.run(["git", "init", "--quiet", dest], check=True)


if __name__ == "__main__":
    main()
