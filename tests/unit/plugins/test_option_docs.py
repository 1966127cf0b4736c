# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# The options that describe an endpoint are documented once: the fleet
# module's item suboptions and the role's endpoints_list options must say
# exactly what tensorone_endpoint says (references to sibling options
# adjusted), and all three must match the argument spec the modules use.

import ast
import os
import re

import pytest
import yaml

from ansible_collections.tensorone.cloud.plugins.module_utils._endpoint import OPTIONS, endpoint_argument_spec

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
