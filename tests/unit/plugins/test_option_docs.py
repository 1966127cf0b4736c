# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# The options that describe an endpoint are documented once: the fleet
# module's item suboptions and the role's endpoints_list options must say
# exactly what tensorone_endpoint says (references to sibling options
# adjusted), and all three must match the argument spec the modules use.
# Likewise the role's endpoints_templates options and tensorone_template.

import ast
import os
import re

import pytest
import yaml

from ansible_collections.tensorone.cloud.plugins.module_utils._endpoint import OPTIONS, endpoint_argument_spec
from ansible_collections.tensorone.cloud.plugins.module_utils._template import template_argument_spec

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")


def module_options(name):
    with open(os.path.join(ROOT, "plugins", "modules", name + ".py")) as source:
        for node in ast.parse(source.read()).body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
                return yaml.safe_load(ast.literal_eval(node.value))["options"]
    raise AssertionError("no DOCUMENTATION in %s" % name)


def role_options():
    with open(os.path.join(ROOT, "roles", "endpoints", "meta", "argument_specs.yml")) as spec:
        return yaml.safe_load(spec)["argument_specs"]["main"]["options"]["endpoints_list"]["options"]


SINGLE = module_options("tensorone_endpoint")
FLEET = module_options("tensorone_endpoints")["endpoints"]["suboptions"]
ROLE = role_options()
SPEC = endpoint_argument_spec()
# Options whose text differs by design (how an item is selected); their types must still agree.
SELECTORS = ("state", "id", "name")


def text(option_doc):
    """The description with references to sibling options made plain: O(endpoints[].x) -> O(x)."""
    lines = option_doc["description"]
    lines = [lines] if isinstance(lines, str) else lines
    return [re.sub(r"O\((?:endpoints|endpoints_list)\[\]\.", "O(", line) for line in lines]


def shape(option_doc):
    return dict((key, option_doc.get(key)) for key in ("type", "elements", "choices"))


def test_every_endpoint_option_is_documented_everywhere():
    expected = set(SPEC)
    assert set(FLEET) == expected
    assert set(ROLE) == expected
    assert expected <= set(SINGLE)
    assert set(OPTIONS) - {"name"} <= expected


@pytest.mark.parametrize("option", sorted(set(SPEC) - set(SELECTORS)))
def test_the_fleet_and_the_role_say_what_the_single_module_says(option):
    assert text(FLEET[option]) == text(SINGLE[option])
    assert text(ROLE[option]) == text(SINGLE[option])


@pytest.mark.parametrize("option", sorted(SPEC))
def test_documented_types_match_the_argument_spec(option):
    spec = SPEC[option]
    expected = dict(type=spec.get("type", "str"), elements=spec.get("elements"), choices=spec.get("choices"))
    for docs in (SINGLE, FLEET, ROLE):
        assert shape(docs[option]) == expected, option


# Templates: the role's endpoints_templates options say what tensorone_template says.
TEMPLATE_SINGLE = module_options("tensorone_template")
with open(os.path.join(ROOT, "roles", "endpoints", "meta", "argument_specs.yml")) as _spec:
    TEMPLATE_ROLE = yaml.safe_load(_spec)["argument_specs"]["main"]["options"]["endpoints_templates"]["options"]
TEMPLATE_SPEC = template_argument_spec()
# wait_timeout is the role's endpoints_wait_timeout for all templates; the role sets endpoints_result itself.
TEMPLATE_ROLE_OPTIONS = set(TEMPLATE_SPEC) - {"wait_timeout", "endpoints_result"}


def template_text(option_doc):
    lines = option_doc["description"]
    lines = [lines] if isinstance(lines, str) else lines
    return [re.sub(r"O\(endpoints_templates\[\]\.", "O(", line).replace("O(endpoints_wait_timeout)", "O(wait_timeout)")
            for line in lines]


def test_every_template_option_is_documented_in_the_module_and_the_role():
    assert set(TEMPLATE_SINGLE) - set(TEMPLATE_SPEC) <= {"api_key", "api_url", "api_timeout", "api_retries", "validate_certs"}
    assert set(TEMPLATE_SPEC) <= set(TEMPLATE_SINGLE)
    assert set(TEMPLATE_ROLE) == TEMPLATE_ROLE_OPTIONS


@pytest.mark.parametrize("option", sorted(TEMPLATE_ROLE_OPTIONS))
def test_the_role_says_what_the_template_module_says(option):
    assert template_text(TEMPLATE_ROLE[option]) == template_text(TEMPLATE_SINGLE[option])
    for docs in (TEMPLATE_SINGLE, TEMPLATE_ROLE):
        spec = TEMPLATE_SPEC[option]
        assert shape(docs[option]) == dict(type=spec.get("type", "str"), elements=spec.get("elements"), choices=spec.get("choices"))
    # the role validates secret_env with no_log, as the module's argument spec has it
    assert bool(TEMPLATE_ROLE[option].get("no_log")) == bool(TEMPLATE_SPEC[option].get("no_log"))
