# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Each option is documented once: tests/tools/generate_docs.py copies
# tensorone_endpoint's options into the fleet module's endpoints[] items and
# the role's endpoints_list, tensorone_template's into the role's
# endpoints_templates, and the shared return values into every module, and
# `make docs-generated` (its --check) fails when a copy is out of date. Here:
# that every option is documented wherever it is taken and agrees with the
# argument spec the modules use, and that the generator keeps its promises.

import ast
import importlib.util
import itertools
import os
import pathlib
import shutil

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


def shape(option_doc):
    return dict((key, option_doc.get(key)) for key in ("type", "elements", "choices"))


def test_every_endpoint_option_is_documented_everywhere():
    expected = set(SPEC)
    assert set(FLEET) == expected
    assert set(ROLE) == expected
    assert expected <= set(SINGLE)
    assert set(OPTIONS) - {"name"} <= expected


@pytest.mark.parametrize("option", sorted(SPEC))
def test_documented_types_match_the_argument_spec(option):
    spec = SPEC[option]
    expected = dict(type=spec.get("type", "str"), elements=spec.get("elements"), choices=spec.get("choices"))
    for docs in (SINGLE, FLEET, ROLE):
        assert shape(docs[option]) == expected, option


# Templates: the role's endpoints_templates options and tensorone_template's.
TEMPLATE_SINGLE = module_options("tensorone_template")
with open(os.path.join(ROOT, "roles", "endpoints", "meta", "argument_specs.yml")) as _spec:
    TEMPLATE_ROLE = yaml.safe_load(_spec)["argument_specs"]["main"]["options"]["endpoints_templates"]["options"]
TEMPLATE_SPEC = template_argument_spec()
# wait_timeout is the role's endpoints_wait_timeout for all templates; the role sets endpoints_result itself.
TEMPLATE_ROLE_OPTIONS = set(TEMPLATE_SPEC) - {"wait_timeout", "endpoints_result"}


def test_every_template_option_is_documented_in_the_module_and_the_role():
    assert set(TEMPLATE_SINGLE) - set(TEMPLATE_SPEC) <= {"api_key", "api_url", "api_timeout", "api_retries", "validate_certs"}
    assert set(TEMPLATE_SPEC) <= set(TEMPLATE_SINGLE)
    assert set(TEMPLATE_ROLE) == TEMPLATE_ROLE_OPTIONS


@pytest.mark.parametrize("option", sorted(TEMPLATE_ROLE_OPTIONS))
def test_documented_template_types_match_the_argument_spec(option):
    for docs in (TEMPLATE_SINGLE, TEMPLATE_ROLE):
        spec = TEMPLATE_SPEC[option]
        assert shape(docs[option]) == dict(type=spec.get("type", "str"), elements=spec.get("elements"), choices=spec.get("choices"))
    # the role validates secret_env with no_log, as the module's argument spec has it
    assert bool(TEMPLATE_ROLE[option].get("no_log")) == bool(TEMPLATE_SPEC[option].get("no_log"))


# The generator, on a copy of the files it reads and writes.
_spec = importlib.util.spec_from_file_location("generate_docs", os.path.join(ROOT, "tests", "tools", "generate_docs.py"))
generate_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate_docs)
ROOT_PATH = pathlib.Path(ROOT)
GENERATED = [generate_docs.ENDPOINT, generate_docs.TEMPLATE, generate_docs.ROLE_SPECS] + list(generate_docs.RETURN_TARGETS)


@pytest.fixture
def tree(tmp_path):
    for folder in ("plugins/modules", "plugins/doc_fragments", "roles/endpoints/meta"):
        shutil.copytree(os.path.join(ROOT, folder), str(tmp_path / folder))
    return tmp_path


def contents(tree):
    return dict((path, (tree / path).read_text()) for path in GENERATED)


def module_doc(tree, path, variable):
    return yaml.safe_load("\n".join(generate_docs.docstring_lines((tree / path).read_text(), variable, path)))


def edit(tree, path, old, new):
    text = (tree / path).read_text()
    assert text.count(old) == 1, old
    (tree / path).write_text(text.replace(old, new))


def test_a_hand_edit_of_a_copy_fails_the_check_and_a_run_writes_the_source_back(tree, capsys):
    assert generate_docs.main(["--root", str(tree)]) == 0
    generated = contents(tree)
    capsys.readouterr()
    edit(tree, generate_docs.FLEET, "Seconds an idle worker is kept", "Seconds an idle worker stays")
    assert generate_docs.main(["--check", "--root", str(tree)]) == 1
    out = capsys.readouterr().out
    assert "+          - Seconds an idle worker is kept before it scales down" in out
    assert out.splitlines()[-1] == "out of date, run tests/tools/generate_docs.py: plugins/modules/tensorone_endpoints.py"
    assert generate_docs.main(["--root", str(tree)]) == 0
    assert contents(tree) == generated
    # byte-stable: a second run changes nothing
    assert generate_docs.main(["--root", str(tree)]) == 0
    assert contents(tree) == generated
    assert generate_docs.main(["--check", "--root", str(tree)]) == 0


def test_the_source_text_reaches_every_copy_with_its_references_converted(tree):
    edit(
        tree,
        generate_docs.ENDPOINT,
        "- Seconds an idle worker is kept before it scales down, 1 to 3600.",
        "- Seconds an idle worker is kept, 1 to 3600; see O(workers_min=0) and O(state).",
    )
    edit(tree, generate_docs.ENDPOINT, "      description: What went wrong.\n", "      description: What went wrong, see O(wait_timeout).\n")
    edit(tree, generate_docs.TEMPLATE, "- Size of the container disk in GB, at least 1.", "- Disk GB, see O(wait_timeout) and O(env).")
    assert generate_docs.main(["--check", "--root", str(tree)]) == 1
    assert generate_docs.main(["--root", str(tree)]) == 0
    items = module_doc(tree, generate_docs.FLEET, "DOCUMENTATION")["options"]["endpoints"]["suboptions"]
    assert items["idle_timeout"]["description"] == ["Seconds an idle worker is kept, 1 to 3600; see O(endpoints[].workers_min=0) and O(endpoints[].state)."]
    role = yaml.safe_load((tree / generate_docs.ROLE_SPECS).read_text())["argument_specs"]["main"]["options"]
    assert role["endpoints_list"]["options"]["idle_timeout"]["description"] == [
        "Seconds an idle worker is kept, 1 to 3600; see O(endpoints_list[].workers_min=0) and O(endpoints_list[].state)."
    ]
    assert role["endpoints_templates"]["options"]["container_disk_in_gb"]["description"] == [
        "Disk GB, see O(endpoints_wait_timeout) and O(endpoints_templates[].env). Required to create a template."
    ]
    assert role["endpoints_templates"]["options"]["secret_env"]["no_log"] is True
    # the failure return value: a module with a wait_timeout refers to its own, one without to tensorone_endpoint's
    for path, reference in (
        (generate_docs.TEMPLATE, "O(wait_timeout)"),
        ("plugins/modules/tensorone_endpoint_info.py", "O(tensorone.cloud.tensorone_endpoint#module:wait_timeout)"),
    ):
        returned = module_doc(tree, path, "RETURN")
        assert returned["failure"]["contains"]["message"]["description"] == "What went wrong, see %s." % reference
        # the module's own sample stays
        assert returned["failure"]["sample"] == module_doc(ROOT_PATH, path, "RETURN")["failure"]["sample"]
    # api_calls and failure: one sample each, the module's own (a second sample key would be a duplicate)
    for path in generate_docs.RETURN_TARGETS:
        for key in generate_docs.RETURN_KEYS:
            assert samples_of(tree, path, key) == samples_of(ROOT_PATH, path, key) and len(samples_of(tree, path, key)) == 1, (path, key)
    assert generate_docs.main(["--check", "--root", str(tree)]) == 0


def samples_of(tree, path, key):
    """The sample lines of a top-level return value, read as text."""
    lines = generate_docs.docstring_lines((tree / path).read_text(), "RETURN", path)
    start = lines.index(key + ":") + 1
    block = itertools.takewhile(lambda line: line.startswith((" ", "#")), lines[start:])
    return [line for line in block if line.startswith("  sample:")]


def test_a_reference_an_item_does_not_have_fails_naming_it_and_writes_nothing(tree, capsys):
    committed = contents(tree)
    edit(
        tree,
        generate_docs.ENDPOINT,
        "- Seconds an idle worker is kept before it scales down, 1 to 3600.",
        "- Seconds an idle worker is kept, within O(api_timeout).",
    )
    edited = contents(tree)
    assert generate_docs.main(["--root", str(tree)]) == 2
    assert capsys.readouterr().out == (
        "generate_docs: plugins/modules/tensorone_endpoint.py: option idle_timeout refers to O(api_timeout), "
        "which endpoints[] items do not have: add a rule to tests/tools/generate_docs.py\n"
    )
    assert contents(tree) == edited != committed


def test_a_copied_line_too_long_for_the_linters_fails(tree, capsys):
    line = "      - Seconds an idle worker is kept before it scales down, 1 to 3600, " + "x" * 50 + " O(workers_min) O(workers_max)."
    assert len(line) <= 160
    edit(tree, generate_docs.ENDPOINT, "      - Seconds an idle worker is kept before it scales down, 1 to 3600.", line)
    assert generate_docs.main(["--check", "--root", str(tree)]) == 2
    assert capsys.readouterr().out.startswith(
        "generate_docs: plugins/modules/tensorone_endpoints.py: a line of region endpoint-options "
        "would be 182 characters (at most 160), shorten it in plugins/modules/tensorone_endpoint.py: "
    )
