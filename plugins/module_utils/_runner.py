# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the tensorone.cloud collection: it may change
# at any time, without notice, and is not meant to be used by anything else.

"""The one way every module of the collection runs.

A module hands ``run_module()`` its argument spec and a ``work(run)`` function.
The runner is the top of the layers below the modules (transport ``_api``,
shared shapes and errors ``_resource``, the resource models), and imports
from them only. It has three parts, each usable on its own (the stateful
test runs the modules in process through the same functions):
``checked_params`` checks what Ansible's argument spec cannot (values Ansible
converts silently, explicit nulls, the API options); ``outcome_of`` calls
``work`` and shapes its result or its failure (with ``failure.kind``),
``actions`` and ``api_calls`` the same way for every module; ``run_module``
talks to ``AnsibleModule``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.validation import check_type_dict

from ansible_collections.tensorone.cloud.plugins.module_utils._api import (
    API_ARGUMENT_SPEC,
    DEFAULT_API_URL,
    HAS_REQUESTS,
    USER_AGENT,
    APIError,
    Client,
    api_calls,
    check_api_params,
)
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import ModelError, mask_values, number_as_text_error


class Run:
    """What one module run shares: its options, the client, check and diff mode,
    and the record of what it did (``actions``) and what it warns about."""

    def __init__(self, client, params=None, check_mode=False, diff=False, sleep=time.sleep, clock=time.monotonic):
        self.client = client
        self.params = params or {}
        self.check_mode = check_mode
        self.diff = diff
        self.sleep = sleep
        self.clock = clock
        self.actions = []
        self.warnings = []
        # Values read from the API that no message may show (for example environment values).
        self.secrets = []
        # What carrying the planned steps out did so far (for a failure's result).
        self.outcomes = []
        # Called on failure for the result keys known so far (for example the endpoints a fleet run reached).
        self.partial_result = dict

    def redact(self, text):
        """``text`` without the key, the URL's credentials or any of ``secrets``."""
        text = self.client.redact(text)  # the key, as given and URL-encoded, and the URL's credentials
        return mask_values(text, self.secrets)


def _type_name(value):
    return "a mapping" if isinstance(value, dict) else "a list" if isinstance(value, list) else type(value).__name__


def raw_type_errors(argument_spec, raw, where=""):
    """Values Ansible would convert silently: a list or mapping given to a string option
    (it becomes its Python text), a decimal number given to a string option (12.10 arrives
    as 12.1), a boolean or any number given to a secret (no_log) string option, a boolean
    given to an integer option (it becomes 0 or 1), text given to a mapping option (it parses
    "K=V" pairs or JSON, splitting values at spaces and commas).

    ``raw`` are the task's arguments as sent, before Ansible's conversion.
    """
    errors = []
    if not isinstance(raw, dict):
        return errors
    for option, rule in argument_spec.items():
        value = raw.get(option)
        if value is None:
            continue
        name = where + option
        kind = rule.get("type", "str")
        if kind == "str" and isinstance(value, (list, dict)):
            errors.append("%s must be a string, got %s" % (name, _type_name(value)))
        elif kind == "str" and isinstance(value, float):
            errors.append(number_as_text_error(name, None if rule.get("no_log") else value))
        elif kind == "str" and rule.get("no_log") and isinstance(value, (bool, int)):
            # A secret is never shown, so the text Ansible would make of it (True, or 83 for 0123) could not be noticed.
            errors.append("%s must be a string, got %s: quote it as written" % (name, "a boolean" if isinstance(value, bool) else "a number"))
        elif kind == "dict" and isinstance(value, str):
            errors.append("%s must be a mapping, got a string (write it as YAML key: value pairs, not as text)" % name)
        elif kind == "int" and isinstance(value, bool):
            errors.append("%s must be an integer, got a boolean" % name)
        elif kind == "list" and isinstance(value, list):
            for index, item in enumerate(value):
                item_name = "%s[%d]" % (name, index)
                if rule.get("elements") == "str" and isinstance(item, (list, dict)):
                    errors.append("%s must be a string, got %s" % (item_name, _type_name(item)))
                elif rule.get("elements") == "str" and isinstance(item, float):
                    errors.append(number_as_text_error(item_name, item))
                elif rule.get("elements") == "dict" and rule.get("options"):
                    errors.extend(raw_type_errors(rule["options"], item, item_name + "."))
    return errors


def text_mapping_values(argument_spec, params):
    """The values inside the text given to a no_log mapping option ("K=V" pairs or JSON): Ansible masks such
    text as a whole, then converts it to a mapping whose values it no longer masks."""
    values = set()
    for option, rule in argument_spec.items():
        text = params.get(option)
        if rule.get("no_log") and rule.get("type") == "dict" and isinstance(text, str):
            try:
                values.update(_scalars(check_type_dict(text)))
            except (TypeError, ValueError):
                pass  # not converted: the option keeps the text, masked as a whole
    return values


def _scalars(value):
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [scalar for item in value for scalar in _scalars(item)]
    return [] if value is None or isinstance(value, bool) or value == "" else [str(value)]


class _Module(AnsibleModule):
    """AnsibleModule, with the values of a no_log mapping given as text masked before its
    own argument checks can fail (the collection refuses such text after them)."""

    def _load_params(self):
        super(_Module, self)._load_params()
        self.no_log_values.update(text_mapping_values(self.argument_spec, self.params))


def _fill_api_params(module):
    """An empty or null api_url or http_agent means "not set": take the environment's, then the default.
    An api_key is taken from the environment only when it is not set at all; an empty one is refused
    (check_api_params)."""
    params = module.params
    for option, variable, default, secret in (
        ("api_url", "TENSORONE_API_URL", DEFAULT_API_URL, True),
        ("api_key", "TENSORONE_API_KEY", None, True),
        ("http_agent", "TENSORONE_HTTP_AGENT", USER_AGENT, False),
    ):
        if params.get(option) is None or (option != "api_key" and params[option] == ""):
            from_env = os.environ.get(variable) or None
            if from_env and secret:
                module.no_log_values.add(from_env)
            params[option] = from_env or default


def option_errors(spec, raw, params, check=None):
    """Messages for options a module cannot use, after Ansible's own argument spec check:
    values Ansible converted silently (``raw``: the task's arguments as sent), the API
    options, then ``check(params)``, the module's own checks."""
    errors = raw_type_errors(spec, raw)
    errors.extend(check_api_params(params))
    if check is not None and not errors:
        errors.extend(check(params))
    return errors


def client_for(params, sleep=time.sleep):
    """The API client a module run's checked options ask for."""
    return Client(
        params["api_url"],
        params["api_key"],
        timeout=params["api_timeout"],
        retries=params["api_retries"],
        validate_certs=params["validate_certs"],
        sleep=sleep,
        http_agent=params.get("http_agent"),
    )


def outcome_of(run, work):
    """What a module run returns: ``work(run)``'s result keys, or those of its failure (``failed``,
    ``msg``, ``failure`` with its ``kind``, and the result keys known so far), with ``actions`` and
    ``api_calls``, every message masked. Never raises: a bug of the collection is a failure of kind
    ``bug``, never a traceback."""
    try:
        result = work(run)
    except (APIError, ModelError) as exc:
        error = exc
    except Exception as exc:  # pylint: disable=broad-exception-caught
        error = ModelError("Unexpected error in the tensorone.cloud collection (please report it): %s: %s" % (type(exc).__name__, exc), "bug")
    else:
        result.update(actions=run.actions, api_calls=api_calls(run.client))
        return result
    failure = error.as_failure()
    failure["message"] = run.redact(failure["message"])
    failure["details"] = [run.redact(detail) for detail in failure["details"]]
    return dict(
        run.partial_result(),
        failed=True,
        msg=failure["message"],
        failure=failure,
        changed=bool(run.actions),
        actions=run.actions,
        api_calls=api_calls(run.client),
    )


def checked_params(module, check=None):
    """The module's options, filled and checked after Ansible's own argument spec check; a
    module whose options fail the checks fails here, before any request."""
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"))
    _fill_api_params(module)
    errors = option_errors(module.argument_spec, basic._load_params(), module.params, check)  # pylint: disable=protected-access
    if errors:
        refusal = ModelError("; ".join(errors), "invalid_option")
        module.fail_json(msg=refusal.message, failure=refusal.as_failure(), api_calls=dict(requests=0, retries=0))
    return module.params


def run_module(argument_spec, work, check=None, **module_options):
    """Run a module of the collection: ``work(run)`` returns the result keys of a
    successful run; ``check(params)`` returns messages for invalid options."""
    module = _Module(argument_spec=dict(argument_spec, **API_ARGUMENT_SPEC), supports_check_mode=True, **module_options)
    params = checked_params(module, check)
    run = Run(client_for(params), params, check_mode=module.check_mode, diff=module._diff)
    result = outcome_of(run, work)
    for warning in run.warnings:
        module.warn(run.redact(warning))
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)
