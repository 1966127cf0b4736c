# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Secrets in what a module prints: tensorone_template and tensorone_secret as
# Ansible runs them (AnsibleModule and all, in process, on every ansible-core version), for what
# only the whole module shows (its printed result, the invocation included
# where ansible-core adds one); and the masking of values read from the service
# in every message (Run.redact).

import contextlib
import json
from unittest import mock

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.parameters import PASS_VARS
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.tensorone.cloud.plugins.module_utils._resource import mask_values
from ansible_collections.tensorone.cloud.plugins.modules import tensorone_secret, tensorone_template

TEXT_FORMS = [
    ("LICENSE=kv-secret-4f9a OTHER=kv-secret-77c1", ["kv-secret-4f9a", "kv-secret-77c1"]),
    ('{"LICENSE": "json-secret-2b8e"}', ["json-secret-2b8e"]),
]


@contextlib.contextmanager
def module_args(args):
    """The module's arguments for a run in process; by default to an address where nothing listens."""
    args = dict(dict(api_key="t1-unit-key-0000", api_url="http://127.0.0.1:1/graphql", api_retries=0), **args)
    if "inject_invocation" in PASS_VARS:
        args["_ansible_inject_invocation"] = True  # ansible-core 2.21+ adds the invocation only when asked
    try:
        from ansible.module_utils.testing import patch_module_args  # ansible-core 2.19+
    except ImportError:
        patched = mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps(dict(ANSIBLE_MODULE_ARGS=args)).encode())
    else:
        patched = patch_module_args(args)
    with patched:
        yield


def run_template_module(capsys, args, module=tensorone_template):
    """The module's printed result (text) and the result."""
    with module_args(args), pytest.raises(SystemExit):
        module.main()
    printed = capsys.readouterr().out
    return printed, json.loads(printed)


@pytest.mark.parametrize("text, values", TEXT_FORMS)
def test_secret_env_as_text_is_refused_and_its_values_never_shown(capsys, text, values):
    printed, result = run_template_module(capsys, dict(name="llm-worker", image_name="reg/llm:1", container_disk_in_gb=5, secret_env=text))
    assert not [value for value in values if value in printed]
    assert "invocation" in result  # what ansible-core prints at -vvv, where the values were shown
    assert result["failed"] and result["msg"] == "secret_env must be a mapping, got a string (write it as YAML key: value pairs, not as text)"
    assert result["api_calls"] == dict(requests=0, retries=0)


@pytest.mark.parametrize("text, values", TEXT_FORMS)
def test_secret_env_as_text_is_masked_when_ansibles_own_check_fails_first(capsys, text, values):
    printed, result = run_template_module(capsys, dict(image_name="reg/llm:1", container_disk_in_gb="five", secret_env=text))
    assert result["failed"] and "name" in result["msg"]
    assert not [value for value in values if value in printed]


def test_env_as_text_is_refused_too(capsys):
    _printed, result = run_template_module(capsys, dict(name="llm-worker", env="MODEL=llama DEBUG=on"))
    assert result["failed"] and result["msg"] == "env must be a mapping, got a string (write it as YAML key: value pairs, not as text)"


@pytest.mark.parametrize(
    "value, got",
    [(47110815, "a number"), (True, "a boolean"), (4711.0815, "a number")],
)
def test_a_secret_value_that_is_not_text_is_refused_and_never_shown(capsys, value, got):
    printed, result = run_template_module(capsys, dict(name="hf_token", value=value), module=tensorone_secret)
    assert result["failed"] and result["msg"].startswith("value must be a string, got %s: quote it as written" % got)
    assert result["failure"]["kind"] == "invalid_option" and result["api_calls"] == dict(requests=0, retries=0)
    assert "4711" not in printed


def test_a_secret_value_is_masked_when_the_name_is_refused(capsys):
    printed, result = run_template_module(capsys, dict(name=" hf_token", value="module-secret-value-8e1f"), module=tensorone_secret)
    assert result["failed"] and result["msg"].startswith("name ' hf_token' starts or ends with white space")
    assert "invocation" in result and "module-secret-value-8e1f" not in printed


# --- masking values read from the service in messages (Run.redact) -------------------------------------------------


@pytest.mark.parametrize(
    "text, values, masked",
    [
        # a short value: only where it stands quoted, as an echoed input shows it; the message's own words and numbers stay
        (
            "gave up after 1 attempt on 'on' and \"1\" and \\\"a\\\" (a retry)",
            ["1", "on", "a"],
            "gave up after 1 attempt on '********' and \"********\" and \\\"********\\\" (a retry)",
        ),
        (
            "Template 'llm-worker' (tpl1) is used by endpoint 'api' (ep1)",
            ["1", "l", "api"],
            "Template 'llm-worker' (tpl1) is used by endpoint '********' (ep1)",
        ),
        # a longer one: wherever it occurs, in its escaped forms too
        ("value=console-token-5d2e;X", ["console-token-5d2e"], "value=********;X"),
        ('{"value": "pa\\"ss-word-1"}', ['pa"ss-word-1'], '{"value": "********"}'),
        ("no secret here", [], "no secret here"),
    ],
)
def test_values_read_from_the_service_are_masked_without_garbling_the_message(text, values, masked):
    assert mask_values(text, values) == masked


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=12).filter(lambda value: value.strip("*")))
def test_a_value_the_api_echoes_never_shows(value):
    """However short or odd, a value is masked in the forms an echoed input quotes it in:
    JSON (and graphql-js, which prints strings as JSON does) and Python reprs (graphql-core). (A value
    made of asterisks only is the mask itself: what is shown then cannot tell.)"""
    for echo in (json.dumps({"input": {"env": [{"key": "K", "value": value}]}}), repr({"key": "K", "value": value})):
        shown = mask_values(echo, [value])
        assert json.dumps(value) not in shown and repr(value) not in shown, shown
