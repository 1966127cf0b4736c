# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Secrets in what a module prints: tensorone_template as Ansible runs it
# (AnsibleModule and all, in process, on every ansible-core version), for what
# only the whole module shows (its printed result, the invocation included
# where ansible-core adds one).

import contextlib
import json
from unittest import mock

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.parameters import PASS_VARS

from ansible_collections.tensorone.cloud.plugins.modules import tensorone_template

TEXT_FORMS = [
    ("LICENSE=kv-secret-4f9a OTHER=kv-secret-77c1", ["kv-secret-4f9a", "kv-secret-77c1"]),
    ('{"LICENSE": "json-secret-2b8e"}', ["json-secret-2b8e"]),
]


@contextlib.contextmanager
def module_args(args):
    args = dict(args, api_key="t1-unit-key-0000", api_url="http://127.0.0.1:1/graphql", api_retries=0)
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


def run_template_module(capsys, args):
    """The module's printed result (text) and the result."""
    with module_args(args), pytest.raises(SystemExit):
        tensorone_template.main()
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

