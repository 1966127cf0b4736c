# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The state file (CONTRACT.md, "State file"): every table's persistent dump,
# written atomically after every change, loaded as a seed at start.

import json
import os
import tempfile

FORMAT = 1


def save(path, store):
    """Write the state file atomically (temp file + rename): {"format": 1, <table KEY>: [...], ...}."""
    payload = {"format": FORMAT}
    payload.update(store.state(persistent=True))
    directory = os.path.dirname(os.path.abspath(path))
    handle, temp_path = tempfile.mkstemp(prefix=".emulator-state-", dir=directory)
    try:
        with os.fdopen(handle, "w") as temp_file:
            json.dump(payload, temp_file, indent=1)
            temp_file.flush()
            os.fsync(temp_file.fileno())
        os.replace(temp_path, path)
    except BaseException:
        os.unlink(temp_path)
        raise


def load(path, store):
    """Replace the store's content by the file's. Format 1 always has endpoints; a table the file
    lacks (a file older than the table) loads as a reset leaves it: empty, the catalogue with its
    defaults (which the file's catalogue entries patch by id). Raises ValueError for a malformed file."""
    with open(path) as state_file:
        data = json.load(state_file)
    if not isinstance(data, dict) or not isinstance(data.get("endpoints"), list):
        raise ValueError("state file %s: expected an object with an endpoints list" % path)
    store.clear()
    for table in store.seed_order:
        table.seed(data.get(table.KEY) or [])
