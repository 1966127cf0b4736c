# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the documentation that several files share from the one place it is written.

Each option is documented once, in the module users read first: an endpoint's
options in tensorone_endpoint, a template's in tensorone_template. The shared
return values api_calls and failure are documented once, in tensorone_endpoint.
The fleet module's endpoints[] items, the endpoints role's argument_specs.yml
and the other modules' RETURN hold copies, between the lines
`# BEGIN GENERATED <region>` and `# END GENERATED <region>`, which this script
rewrites (doc fragments cannot carry suboptions, role options or return values).
What a copy deliberately says otherwise is a rule below, not a hand edit.

Usage: generate_docs.py [--check] [--root COLLECTION_ROOT]
  --check  write nothing; name every file whose generated part is out of date
           and exit 1 (`make docs-generated`)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import ast
import difflib
import os
import re
import sys

import yaml

ENDPOINT = "plugins/modules/tensorone_endpoint.py"
TEMPLATE = "plugins/modules/tensorone_template.py"
FLEET = "plugins/modules/tensorone_endpoints.py"
REGISTRY_AUTH = "plugins/modules/tensorone_registry_auth.py"
SECRET = "plugins/modules/tensorone_secret.py"
ROLE_SPECS = "roles/endpoints/meta/argument_specs.yml"
FRAGMENTS = "plugins/doc_fragments"
THIS = "tests/tools/generate_docs.py"
MAX_LINE = 160  # pep8's limit in ansible-test, and yamllint's in ansible-lint

# Options copied as the items of a list. item: the path a copy's references
# take (O(workers_max) becomes O(endpoints[].workers_max)). by_hand: options
# the item has whose text the list writes itself, above its region. not_items:
# the source's options an item does not have. references: where a reference
# to one of those points instead. no_log: options the copy marks no_log.
OPTION_COPIES = [
    dict(
        region="endpoint-options",
        source=ENDPOINT,
        target=FLEET,
        item="endpoints[]",
        # How an item selects its endpoint is the list's to say: name is
        # required in every item, and an item's state and id read differently.
        by_hand=("state", "id", "name"),
        # The fleet waits for all its deletes together, within its own
        # top-level wait_timeout.
        not_items=("wait_timeout",),
        references=dict(wait_timeout="wait_timeout"),
    ),
    dict(
        region="endpoint-options",
        source=ENDPOINT,
        target=ROLE_SPECS,
        item="endpoints_list[]",
        # As in the fleet; the role's name is also `required: true`, since
        # argument_specs.yml is what validates the role's items.
        by_hand=("state", "id", "name"),
        # The role waits within endpoints_wait_timeout, for every item.
        not_items=("wait_timeout",),
        references=dict(wait_timeout="endpoints_wait_timeout"),
    ),
    dict(
        region="template-options",
        source=TEMPLATE,
        target=ROLE_SPECS,
        item="endpoints_templates[]",
        by_hand=(),
        # endpoints_wait_timeout is every template's wait_timeout; the role
        # passes endpoints_result itself.
        not_items=("wait_timeout", "endpoints_result"),
        references=dict(wait_timeout="endpoints_wait_timeout"),
        # argument_specs.yml validates the role's input, so the secret values
        # are no_log there, as in the module's argument spec (module docs
        # have no no_log).
        no_log=("secret_env",),
    ),
    dict(
        region="registry-auth-options",
        source=REGISTRY_AUTH,
        target=ROLE_SPECS,
        item="endpoints_registry_auths[]",
        by_hand=(),
        not_items=(),
        references=dict(),
        no_log=("username", "password"),
    ),
    dict(
        region="secret-options",
        source=SECRET,
        target=ROLE_SPECS,
        item="endpoints_secrets[]",
        by_hand=(),
        not_items=(),
        references=dict(),
        no_log=("value",),
    ),
]

# Return values every module returns, copied whole but for their sample,
# which stays each module's own (it shows that module's typical answer). A
# reference to an option or return value the target lacks points at the
# source module's.
RETURN_SOURCE = ENDPOINT
RETURN_KEYS = ("api_calls", "failure")
RETURN_TARGETS = (
    "plugins/modules/tensorone_endpoint_info.py",
    FLEET,
    TEMPLATE,
    "plugins/modules/tensorone_template_info.py",
    "plugins/modules/tensorone_registry_auth.py",
    "plugins/modules/tensorone_registry_auth_info.py",
    "plugins/modules/tensorone_secret.py",
    "plugins/modules/tensorone_secret_info.py",
)

BEGIN = re.compile(r"^( *)# BEGIN GENERATED (\S+)")
END = "# END GENERATED %s"
# O(name...) and RV(name...): the markup that names an option or return value
REFERENCE = re.compile(r"\b(O|RV)\(([^()=]*)")


class GenerateError(Exception):
    pass


class NoRule(Exception):
    """A reference in a copied option that no rule converts (its text is the message)."""


def load_yaml(text):
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # the C parser where PyYAML has it: 10 times faster


def read(root, path):
    with open(os.path.join(root, path)) as handle:
        return handle.read()


def docstring_lines(text, variable, path):
    """The lines of a module's raw (r\"\"\") YAML string; any other kind would not copy as written."""
    match = re.search(r'^%s = r"""\n(.*?)^"""$' % variable, text, re.M | re.S)
    if not match:
        raise GenerateError('%s: no %s = r""" ... """ block' % (path, variable))
    return match.group(1).splitlines()


def indent_of(line):
    return len(line) - len(line.lstrip(" "))


def mapping_blocks(lines, indent):
    """Split the lines of a YAML mapping whose keys stand at `indent` into {key: its lines}, in order."""
    blocks = {}
    order = []
    key = None
    for line in lines:
        if line.strip() and indent_of(line) <= indent:
            match = re.match(r"^ {%d}([A-Za-z_][A-Za-z0-9_]*):" % indent, line)
            key = match.group(1) if match and not line.lstrip().startswith("#") else None
            if key:
                order.append(key)
                blocks[key] = []
        if key:
            blocks[key].append(line)
    for key in order:
        while not blocks[key][-1].strip():
            blocks[key].pop()
    return [(key, blocks[key]) for key in order]


def section(lines, name):
    """The lines under a top-level key (`options:`), up to the next top-level line."""
    if name + ":" not in lines:
        return []
    rest = []
    start = lines.index(name + ":") + 1
    for line in lines[start:]:
        if line.strip() and indent_of(line) == 0:
            break
        rest.append(line)
    return rest


def without_sample(block):
    """A return value's lines without its own `sample:` entry (and that entry's continuation lines)."""
    inner = indent_of(block[0]) + 2
    kept = []
    skipping = False
    for line in block:
        if line.strip() and indent_of(line) <= inner:
            skipping = line.startswith(" " * inner + "sample:")
        if not skipping:
            kept.append(line)
    return kept


def module_names(root, path):
    """The options (its own and its doc fragments') and top-level return values of a module."""
    text = read(root, path)
    doc = load_yaml("\n".join(docstring_lines(text, "DOCUMENTATION", path)))
    options = set(doc.get("options") or {})
    for fragment in doc.get("extends_documentation_fragment") or []:
        parts = fragment.split(".")
        if parts[:2] != ["tensorone", "cloud"]:
            raise GenerateError("%s: doc fragment %s is not this collection's" % (path, fragment))
        variable = parts[3] if len(parts) > 3 else "DOCUMENTATION"
        fragment_path = os.path.join(FRAGMENTS, parts[2] + ".py")
        for node in ast.walk(ast.parse(read(root, fragment_path))):
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == variable:
                options.update((load_yaml(ast.literal_eval(node.value)) or {}).get("options") or {})
    returns = set(load_yaml("\n".join(docstring_lines(text, "RETURN", path))) or {})
    return options, returns


def convert_references(line, convert):
    """Rewrite the name at the start of every O(...) and RV(...) with convert(markup, name, rest)."""

    def replace(match):
        markup, inside = match.group(1), match.group(2)
        if "#" in inside or ":" in inside:  # fully qualified, or ignore:
            return match.group(0)
        name = re.match(r"[A-Za-z0-9_]*", inside).group(0)
        return "%s(%s" % (markup, convert(markup, name, inside.replace(name, "", 1)))

    return REFERENCE.sub(replace, line)


def option_copy(root, rule):
    """The lines of rule's region: the source's options an item has, as the item's, references converted."""
    path = rule["source"]
    options = mapping_blocks(section(docstring_lines(read(root, path), "DOCUMENTATION", path), "options"), 2)
    names = [option[0] for option in options]
    missing = set(rule["by_hand"] + rule["not_items"]) - set(names)
    if missing:
        raise GenerateError("%s: the rules of %s name options %s no longer documents: %s" % (THIS, rule["target"], path, sorted(missing)))
    item_options = set(names) - set(rule["not_items"])

    def convert(markup, name, rest):
        if markup == "O" and name in item_options:
            return "%s.%s%s" % (rule["item"], name, rest)
        if markup == "O" and name in rule["references"]:
            return rule["references"][name] + rest
        raise NoRule("%s(%s%s)" % (markup, name, rest))

    lines = []
    for option, block in options:
        if option in rule["by_hand"] or option in rule["not_items"]:
            continue
        try:
            lines.extend([convert_references(line, convert) for line in block])
        except NoRule as reference:
            raise GenerateError("%s: option %s refers to %s, which %s items do not have: add a rule to %s" % (path, option, reference, rule["item"], THIS))
        if option in rule.get("no_log", ()):
            lines.append("    no_log: true")
    return lines


def return_copy(root, key, target):
    """The lines of the target's region for return value key: the source's block but its sample."""
    lines = docstring_lines(read(root, RETURN_SOURCE), "RETURN", RETURN_SOURCE)
    blocks = dict(mapping_blocks(lines, 0))
    if key not in blocks:
        raise GenerateError("%s: no return value %s to copy" % (RETURN_SOURCE, key))
    options, returns = module_names(root, target)
    source_module = "tensorone.cloud.%s#module:" % os.path.basename(RETURN_SOURCE)[:-3]

    def convert(markup, name, rest):
        if name in (options if markup == "O" else returns | set(RETURN_KEYS)):
            return name + rest
        return source_module + name + rest

    return [convert_references(line, convert) for line in without_sample(blocks[key])]


def regions(root):
    """{target path: {region: (source path, its lines, the indent of their keys)}}, for every target."""
    wanted = {}
    for rule in OPTION_COPIES:
        wanted.setdefault(rule["target"], {})[rule["region"]] = (rule["source"], option_copy(root, rule), 2)
    for target in RETURN_TARGETS:
        for key in RETURN_KEYS:
            wanted.setdefault(target, {})[key] = (RETURN_SOURCE, return_copy(root, key, target), 0)
    return wanted


def rewrite(text, path, wanted):
    """text with every generated region replaced; each region of wanted must be there exactly once."""
    lines = text.split("\n")
    out = []
    seen = set()
    number = 0
    while number < len(lines):
        line = lines[number]
        begin = BEGIN.match(line)
        if not begin:
            out.append(line)
            number += 1
            continue
        indent, region = begin.group(1), begin.group(2)
        if region not in wanted or region in seen:
            raise GenerateError("%s:%d: %s region %s" % (path, number + 1, "a second" if region in seen else "unknown", region))
        seen.add(region)
        end = number + 1
        while end < len(lines) and lines[end].strip() != END % region:
            end += 1
        if end == len(lines):
            raise GenerateError("%s:%d: region %s has no line '%s'" % (path, number + 1, region, END % region))
        source, content, source_indent = wanted[region]
        shift = len(indent) - source_indent
        out.append("%s# BEGIN GENERATED %s by %s from %s: edit it there, not here" % (indent, region, THIS, source))
        for line in content:
            line = (" " * shift + line) if line.strip() else ""
            if len(line) > MAX_LINE:
                raise GenerateError(
                    "%s: a line of region %s would be %d characters (at most %d), shorten it in %s: %s"
                    % (path, region, len(line), MAX_LINE, source, line.strip())
                )
            if '"""' in line:
                raise GenerateError('%s: a line of region %s would end the Python string: %s' % (path, region, line.strip()))
            out.append(line)
        out.append(indent + END % region)
        number = end + 1
    if set(wanted) - seen:
        raise GenerateError("%s: no region %s (a '# BEGIN GENERATED' line and its END)" % (path, ", ".join(sorted(set(wanted) - seen))))
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 naming the files that would change")
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    args = parser.parse_args(argv)
    try:
        # every region first, so that an error leaves every file as it was
        changes = []
        for path, wanted in sorted(regions(args.root).items()):
            text = read(args.root, path)
            new = rewrite(text, path, wanted)
            if new != text:
                changes.append((path, text, new))
    except GenerateError as error:
        print("generate_docs: %s" % error)
        return 2
    stale = [change[0] for change in changes]
    for path, text, new in changes:
        if args.check:
            sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), new.splitlines(True), path, path + " (generated)"))
        else:
            with open(os.path.join(args.root, path), "w") as handle:
                handle.write(new)
    if args.check and stale:
        print("out of date, run %s: %s" % (THIS, ", ".join(stale)))
        return 1
    print("rewrote %s" % ", ".join(stale) if stale else "every generated region is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
