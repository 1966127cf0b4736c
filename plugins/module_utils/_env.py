# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the tensorone.cloud collection: it may change
# at any time, without notice, and is not meant to be used by anything else.

"""Environment variables: the API's ``env`` list (``[{key, value}]``) as the
options a task sets (``env`` and ``secret_env``, both stored in that one list).

The variables a task names are the ones it manages; the others are kept as
they are, in their order. A ``null`` value removes a variable. Secret values
are compared like the others but never shown, and every other value read from
the service is masked too (it may have been set in the console), but for the
task's own plain values.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.tensorone.cloud.plugins.module_utils._resource import CHANGED_MASK, MASK, number_as_text_error


def env_value(value):
    """The string an environment value is stored as; None removes the variable."""
    if value is None or isinstance(value, str):
        return value
    return str(value)


def normalise_env(env):
    """{key: str or None} of an env or secret_env option (None: not set)."""
    if env is None:
        return None
    return dict((str(key), env_value(value)) for key, value in env.items())


def env_errors(option, env):
    """Messages for the keys and values of an env or secret_env option the API cannot store as given."""
    errors = []
    for key, value in (env or {}).items():
        if not str(key).strip():
            errors.append("%s must not have an empty key" % option)
        if isinstance(value, bool):
            errors.append("%s.%s must be a string, got a boolean (quote it, for example %r)" % (option, key, str(value).lower()))
        elif isinstance(value, float):
            errors.append(number_as_text_error("%s.%s" % (option, key), None if option == "secret_env" else value))
        elif isinstance(value, (list, dict)):
            errors.append("%s.%s must be a string, got %s" % (option, key, "a list" if isinstance(value, list) else "a mapping"))
    return errors


class WantedEnv:
    """The variables a task manages ({key: value, or None to remove}), which of them are secret,
    and the task's own plain values (the only environment values an output may show)."""

    def __init__(self, env, secret_env):
        plain, secret = normalise_env(env) or {}, normalise_env(secret_env) or {}
        self.values = dict(plain, **secret)
        self.secret_keys = frozenset(secret)
        self.plain = dict((k, v) for k, v in plain.items() if v is not None)

    def changed_keys(self, current):
        """The managed keys whose value differs from ``current`` ({key: value}; a removal of a present key counts)."""
        return sorted(key for key, value in self.values.items() if ((key in current) if value is None else (current.get(key) != value)))

    def change_names(self, current):
        """What differs, for messages: ``env (KEYS)`` and ``secret_env (KEYS)``."""
        keys = self.changed_keys(current)
        names = []
        for option, chosen in (("env", [k for k in keys if k not in self.secret_keys]), ("secret_env", [k for k in keys if k in self.secret_keys])):
            if chosen:
                names.append("%s (%s)" % (option, ", ".join(chosen)))
        return names

    def applied(self, current):
        """``current`` ({key: value}) with the managed variables set or removed."""
        env = dict(current)
        for key, value in self.values.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def merged(self, current_items):
        """The full env input of a save: the variables as read (API spelling), in their order, the
        managed ones set (or removed), new ones appended in key order. A value read as null is written as ""."""
        merged, seen = [], set()
        for item in current_items or []:
            if not item or item.get("key") is None or item["key"] in seen:
                continue
            key = item["key"]
            seen.add(key)
            if key not in self.values:
                merged.append({"key": key, "value": "" if item.get("value") is None else item["value"]})
            elif self.values[key] is not None:
                merged.append({"key": key, "value": self.values[key]})
        merged.extend({"key": key, "value": value} for key, value in sorted(self.values.items()) if key not in seen and value is not None)
        return merged

    def public(self, env, changed_secrets=(), show_values=False):
        """(env, secret_env) as a result shows them: ``env`` without the secret keys, a value shown only
        where it is the task's own; ``secret_env`` with the task's secret keys present, masked."""
        shown = dict((key, value if show_values or self.plain.get(key, MASK) == value else MASK) for key, value in env.items() if key not in self.secret_keys)
        secrets = dict((key, CHANGED_MASK if key in changed_secrets else MASK) for key in sorted(self.secret_keys) if key in env)
        return shown, secrets

    def unshown_values(self, env):
        """The values of ``env`` (as read) that no output may show: all but the task's own plain ones."""
        return [value for key, value in env.items() if value and self.plain.get(key) != value]


# A reference to a secret in an environment value: Tensor One's pages spell it
# {{ TENSORONE_SECRET_<name> }}, the API family's {{ RUNPOD_SECRET_<name> }};
# which one the service substitutes is unverified, so both count.
SECRET_REFERENCE = re.compile(r"\{\{\s*(?:TENSORONE|RUNPOD)_SECRET_([^\s{}]+)\s*\}\}")


def secret_references(values):
    """The secret names the environment values (strings; others skipped) refer to."""
    return set(name for value in values if isinstance(value, str) for name in SECRET_REFERENCE.findall(value))
