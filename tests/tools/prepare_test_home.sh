#!/usr/bin/env bash
# Prepare a HOME for one ansible-test version (called by `make test-env`).
# Usage: prepare_test_home.sh HOME_DIR VENV
#
# Each matrix version runs ansible-test with its own HOME, because ansible-test
# keeps shared state in ~/.ansible/test (venv cache, ssh key) without locking,
# and the three versions run in parallel. In that HOME:
# - ~/.cache/pip links to the real pip cache (pip is safe to share);
# - ~/.ansible/test/id_rsa exists (ansible-test would make it on first use);
# - ~/.ansible/test/cache/get_pip_<X_Y>.py is our offline stand-in
#   (get_pip_standin.py) for each pip version this ansible-test asks for.
# Only writes what is missing or differs.
set -euo pipefail

home=$1
venv=$2
tools=$(cd "$(dirname "$0")" && pwd)
real_pip_cache=${PIP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pip}

mkdir -p "$home/.ansible/test/cache" "$home/.cache" "$real_pip_cache"
[ -e "$home/.cache/pip" ] || ln -s "$real_pip_cache" "$home/.cache/pip"

key=$home/.ansible/test/id_rsa
if [ ! -f "$key" ] || [ ! -f "$key.pub" ]; then
    rm -f "$key" "$key.pub"
    ssh-keygen -m PEM -q -t rsa -N '' -f "$key"
    sed -i -E 's/(BEGIN|END) PRIVATE KEY/\1 RSA PRIVATE KEY/' "$key"  # as ansible-test does
fi

for f in "$venv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py; do
    grep -oE "pip='[0-9.]+'" "$f" | grep -oE '[0-9.]+' | while read -r version; do
        dest=$home/.ansible/test/cache/get_pip_${version//./_}.py
        cmp -s "$tools/get_pip_standin.py" "$dest" || cp "$tools/get_pip_standin.py" "$dest"
    done
done
