# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The emulator's clock (CONTRACT.md, "Clock"): what drains, worker starts, the
# templates' recent-use window and the timestamps it writes are measured on.
# It follows its source (wall time) unless a test freezes it; either way the
# control API moves it on, so that tests need not sleep. It never goes back.

import time

MODES = ("real", "manual")


class Clock:
    """A callable reading in seconds: `source()` plus what the control API added ("real"), or a
    frozen reading that moves only when told to ("manual")."""

    def __init__(self, source=time.monotonic):
        self._source = source
        self._offset = 0.0
        self._frozen = None  # the reading in manual mode, None in real mode

    def __call__(self):
        if self._frozen is not None:
            return self._frozen
        return self._source() + self._offset

    def describe(self):
        return {"mode": "real" if self._frozen is None else "manual", "now": self()}

    def set(self, changes):
        """Apply {"mode": "real"|"manual", "advance": seconds >= 0} (both optional); checked first as a whole."""
        unknown = set(changes) - {"mode", "advance"}
        if unknown:
            raise ValueError("unknown clock setting(s): %s" % ", ".join(sorted(unknown)))
        mode = changes.get("mode")
        if mode is not None and mode not in MODES:
            raise ValueError("mode must be one of: %s" % ", ".join(MODES))
        advance = changes.get("advance", 0)
        if isinstance(advance, bool) or not isinstance(advance, (int, float)) or advance < 0:
            raise ValueError("advance must be a number of seconds >= 0 (the clock never goes back)")
        if mode == "manual" and self._frozen is None:
            self._frozen = self()
        elif mode == "real" and self._frozen is not None:
            # Resume from the frozen reading: no jump back, no jump forward.
            self._offset = self._frozen - self._source()
            self._frozen = None
        if self._frozen is not None:
            self._frozen += advance
        else:
            self._offset += advance
        return self.describe()
