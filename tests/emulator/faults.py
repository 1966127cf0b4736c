# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Fault injection, deterministic from a seed. Not thread-safe on its own: the
# caller (service.Emulator) holds its lock around every call.

import copy
import random

# The kinds drop_after_apply takes: every table's mutation kinds (state.TABLES).
from .state import MUTATION_KINDS

DEFAULT_FAULTS = {
    "rate_429": 0.0,
    "rate_5xx": 0.0,
    "rate_reset": 0.0,
    "rate_edge_403": 0.0,
    "rate_html_200": 0.0,
    "latency_ms": 0,
    "retry_after": 1,
    "statuses_5xx": [502, 503, 504],
    "body_5xx": "json",
    "drop_after_apply": [],
    "myself_null": False,
}
# One uniform draw decides the fault: the rates share the unit interval, in this order.
RATES = ("rate_reset", "rate_429", "rate_5xx", "rate_edge_403", "rate_html_200")
BODIES_5XX = ("json", "html")

FAULT_429 = "429"
FAULT_5XX = "5xx"
FAULT_RESET = "reset"
FAULT_DROP = "drop_after_apply"
FAULT_EDGE_403 = "edge_403"
FAULT_HTML_200 = "html_200"


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _validate(settings):
    """Return a full, checked settings dict (defaults for what is not given)."""
    if not isinstance(settings, dict):
        raise ValueError("fault settings must be an object")
    unknown = set(settings) - set(DEFAULT_FAULTS) - {"seed"}
    if unknown:
        raise ValueError("unknown fault setting(s): %s" % ", ".join(sorted(unknown)))
    result = copy.deepcopy(DEFAULT_FAULTS)
    for key in RATES:
        if key in settings:
            value = settings[key]
            if not _is_number(value) or not 0 <= value <= 1:
                raise ValueError("%s must be a number between 0 and 1" % key)
            result[key] = float(value)
    if sum(result[key] for key in RATES) > 1 + 1e-9:
        raise ValueError("%s must not exceed 1 together" % " + ".join(RATES))
    if "latency_ms" in settings:
        if not _is_number(settings["latency_ms"]) or settings["latency_ms"] < 0:
            raise ValueError("latency_ms must be a number >= 0")
        result["latency_ms"] = settings["latency_ms"]
    if "retry_after" in settings:
        value = settings["retry_after"]
        # Retry-After carries whole seconds (RFC 9110).
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError("retry_after must be an integer >= 0")
        result["retry_after"] = value
    if "statuses_5xx" in settings:
        value = settings["statuses_5xx"]
        if not isinstance(value, list) or not value or not all(isinstance(s, int) and not isinstance(s, bool) and 500 <= s <= 599 for s in value):
            raise ValueError("statuses_5xx must be a non-empty list of integers 500..599")
        result["statuses_5xx"] = list(value)
    if "body_5xx" in settings:
        if settings["body_5xx"] not in BODIES_5XX:
            raise ValueError("body_5xx must be one of: %s" % ", ".join(BODIES_5XX))
        result["body_5xx"] = settings["body_5xx"]
    if "drop_after_apply" in settings:
        value = settings["drop_after_apply"]
        if not isinstance(value, list) or not all(kind in MUTATION_KINDS for kind in value):
            raise ValueError("drop_after_apply must be a list of: %s" % ", ".join(MUTATION_KINDS))
        result["drop_after_apply"] = [kind for kind in MUTATION_KINDS if kind in value]
    if "myself_null" in settings:
        if not isinstance(settings["myself_null"], bool):
            raise ValueError("myself_null must be a boolean")
        result["myself_null"] = settings["myself_null"]
    if "seed" in settings:
        seed = settings["seed"]
        if isinstance(seed, bool) or not isinstance(seed, (int, str)):
            raise ValueError("seed must be an integer or a string")
    return result


class Faults:
    """The current fault settings and the random generator that applies them."""

    def __init__(self, seed=0):
        self.seed = seed
        self._rng = random.Random(seed)
        self.settings = copy.deepcopy(DEFAULT_FAULTS)

    def configure(self, settings):
        """Replace ALL settings ({} clears them); "seed" re-seeds the generator."""
        checked = _validate(settings)
        self.settings = checked
        if "seed" in settings:
            self.reseed(settings["seed"])

    def reseed(self, seed):
        self.seed = seed
        self._rng = random.Random(seed)

    def describe(self):
        described = copy.deepcopy(self.settings)
        described["seed"] = self.seed
        return described

    def draw(self):
        """Decide one /graphql request's fault: (None|"reset"|"429"|"5xx"|"edge_403"|"html_200", status).

        Exactly one draw per request (two for a 5xx: its status), whatever the
        rates, so a given seed and request sequence always fault the same way.
        """
        roll = self._rng.random()
        bound = 0.0
        for rate, fault, status in zip(RATES, (FAULT_RESET, FAULT_429, FAULT_5XX, FAULT_EDGE_403, FAULT_HTML_200), (None, 429, None, 403, 200)):
            bound += self.settings[rate]
            if roll < bound:
                if fault == FAULT_5XX:
                    status = self._rng.choice(self.settings["statuses_5xx"])
                return fault, status
        return None, None

    def take_drop(self, kind):
        """One-shot: True (and disarm) when the next applied `kind` must be dropped."""
        if kind in self.settings["drop_after_apply"]:
            self.settings["drop_after_apply"].remove(kind)
            return True
        return False
