"""Mirror the collection's working tree to DEST for ansible-test.

ansible-test wants the collection at a real path ending in
ansible_collections/<namespace>/<name>. This copies every file git would
commit (tracked files plus untracked ones that .gitignore does not exclude),
removes files in DEST that are no longer in the source, and leaves
DEST/tests/output (ansible-test's own results and caches) alone.

DEST gets its own (empty) git repository: ansible-test, ansible-lint and
friends look for the nearest .git upwards, and without one they would find
the source repository, in which build/ is ignored, and see no files at all.

Usage: sync_tree.py SRC DEST
"""

import filecmp
import os
import shutil
import subprocess
import sys

KEEP = (".git/", "tests/output/")
# Used only when SRC is not a git work tree (for example an unpacked tarball).
SKIP_DIRS = {".git", "build", "tests/output", "__pycache__", ".pytest_cache", ".hypothesis", ".cache"}


def source_files(src):
    try:
        out = subprocess.run(
            ["git", "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            check=True, capture_output=True,
        ).stdout
        files = out.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        files = []
        for root, dirs, names in os.walk(src):
            rel = os.path.relpath(root, src)
            rel = "" if rel == "." else rel + "/"
            dirs[:] = [d for d in dirs
                       if rel + d not in SKIP_DIRS and d not in SKIP_DIRS and not d.startswith(".venv")]
            files.extend(rel + n for n in names if not n.endswith((".pyc", ".tar.gz")))
    # git lists tracked files that were deleted from the work tree: skip them.
    return sorted(f for f in files if f and os.path.isfile(os.path.join(src, f)))


def main():
    src, dest = (os.path.abspath(p) for p in sys.argv[1:3])
    wanted = set(source_files(src))

    for rel in sorted(wanted):
        s, d = os.path.join(src, rel), os.path.join(dest, rel)
        if os.path.isfile(d) and not os.path.islink(d) and filecmp.cmp(s, d, shallow=False) \
                and os.stat(s).st_mode == os.stat(d).st_mode:
            continue
        os.makedirs(os.path.dirname(d), exist_ok=True)
        if os.path.lexists(d):
            os.remove(d)
        shutil.copy2(s, d, follow_symlinks=False)

    for root, dirs, names in os.walk(dest, topdown=True):
        rel = os.path.relpath(root, dest)
        rel = "" if rel == "." else rel + "/"
        dirs[:] = [x for x in dirs if not (rel + x + "/").startswith(KEEP)]
        for name in names:
            if rel + name not in wanted:
                os.remove(os.path.join(root, name))
    # Drop directories left empty (deepest first).
    for root, dirs, names in os.walk(dest, topdown=False):
        if root != dest and not os.listdir(root) and not (os.path.relpath(root, dest) + "/").startswith(KEEP):
            os.rmdir(root)

    if not os.path.isdir(os.path.join(dest, ".git")):
        subprocess.run(["git", "init", "--quiet", dest], check=True)


if __name__ == "__main__":
    main()
