# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the tensorone.cloud collection: it may change
# at any time, without notice, and is not meant to be used by anything else.

"""The shapes every resource model of the collection is built from.

A resource is a table of ``Field``s: each maps a module option (or nothing,
for a field the collection only preserves) to a GraphQL field, and knows how
its values read (the model's view, normalised so that equal views mean equal
settings), how they are written, and how a value as read is written back
unchanged. ``Selection`` learns, within one module run, which fields the
service lacks: introspection is off in production, so the service's own
validation errors, which name the field, are the only way to know.

The rest is what every model plans and carries out with: the collection's
own failures (``ModelError``, with a ``kind`` from a closed list), masking of
values no output may show, the options a task set (``desired_from``), what
differs (``differences``), the planned ``Step``, the one match by id or name
(``find_one``), failures that name the task item (``refused``, ``naming``),
the diff view, and the ``Deadline`` a wait polls within.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.tensorone.cloud.plugins.module_utils._api import APIError, Recovered

# --- values and masking --------------------------------------------------------

# The API's Int is a signed 32-bit integer.
INT32_MAX = 2**31 - 1
MASK = "********"
# A write-only value this run sent (or, in check mode, would send), as a diff shows it.
CHANGED_MASK = MASK + " (changed)"
# A value read from the service shorter than this many characters is masked only where it stands quoted, the way
# the API's errors echo an input (JSON, GraphQL literals and Python reprs all quote a string): masked everywhere,
# a value such as "1", "on" or "true" would turn the words and numbers of every message into asterisks. Longer
# values are masked wherever they occur.
SHORT_BELOW = 8


# --- errors: the collection's own failures ---------------------------------------

# ``failure.kind`` of the collection's own refusals (the API's failures have theirs: see APIError).
# A closed list, documented in every module's RETURN, so that playbooks can branch on it.
FAILURE_KINDS = (
    "invalid_option",  # an option the collection cannot use, alone or with the resource as read
    "create_needs",  # the resource does not exist and the task lacks what a create needs
    "not_found",  # an id selects nothing, or a named resource the task needs does not exist
    "ambiguous",  # several resources match a name, or two items select one resource
    "name_taken",  # a rename onto a name another resource has
    "prune_guard",  # a prune that could empty the account by a slip, or is over prune_max
    "list_incomplete",  # the API's list stops at its cap, so the account is not fully known
    "in_use",  # a delete refused while something else uses the resource
    "unsupported",  # the service lacks a field or an operation the task needs
    "gone",  # the resource was deleted since this run read it
    "wait_timeout",  # a drain or a delete did not finish within wait_timeout
    "bug",  # an unexpected error of the collection (please report it)
)


class ModelError(Exception):
    """A request the collection refuses, or cannot carry out as asked (not an API failure).
    ``kind`` is one of FAILURE_KINDS."""

    def __init__(self, message, kind):
        super(ModelError, self).__init__(message)
        if kind not in FAILURE_KINDS:
            raise ValueError("unknown failure kind %r" % kind)
        self.message = message
        self.kind = kind

    def __str__(self):
        return self.message

    def as_failure(self):
        return dict(message=self.message, kind=self.kind, status=None, attempts=None, details=[])


def secret_variants(value):
    """A value as a message may quote it: verbatim, JSON-escaped, Python-escaped."""
    variants = set([value, json.dumps(value)[1:-1], repr(value)[1:-1]])
    return [v for v in variants if v]


def mask_values(text, values):
    """``text`` with each of ``values`` masked in every form a message may quote it, a short one
    only where it stands quoted (see SHORT_BELOW)."""
    anywhere, quoted = set(), set()
    for value in values:
        if value:
            (anywhere if len(value) >= SHORT_BELOW else quoted).update(secret_variants(value))
    for variant in sorted(anywhere, key=len, reverse=True):
        text = text.replace(variant, MASK)
    if quoted:
        alternatives = "|".join(re.escape(v) for v in sorted(quoted, key=len, reverse=True))
        # between quotes, the closing one possibly escaped (an echo inside a JSON string: \"on\")
        text = re.sub(r"(?<=[\"'])(?:%s)(?=\\*[\"'])" % alternatives, MASK, text)
    return text


def short_value_warnings(params, options):
    """Warnings, each naming its option, for no_log values of ``options`` shorter than SHORT_BELOW characters:
    Ansible masks every occurrence of a no_log value in the task's output, so a short one garbles it."""
    return [
        "%s is shorter than %d characters: Ansible masks every occurrence of a no_log value in the task's output, so a value this short garbles it"
        % (option, SHORT_BELOW)
        for option in options
        if isinstance(params.get(option), str) and 0 < len(params[option]) < SHORT_BELOW
    ]


def number_as_text_error(name, value=None):
    """The message for a decimal number where text is expected: YAML reads ``12.10`` as 12.1, so
    its text is lost (a version, above all) before the module sees it. ``value`` None: not shown."""
    got = "a number" if value is None else "the number %r" % value
    return "%s must be a string, got %s: quote it as written (YAML reads 12.10 as the number 12.1)" % (name, got)


# The most endpoints the service lists (no pagination): a list this long may be incomplete.
LIST_CAP = 400


def split_csv(value):
    """A list of stripped, non-empty tokens, order kept, from a list or a comma string."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    tokens = []
    for item in items:
        tokens.extend(token.strip() for token in str(item).split(","))
    return [token for token in tokens if token]


# The module option's type (and list elements) for each kind of Field.
OPTION_TYPES = dict(str=("str", None), none=("str", None), int=("int", None), bool=("bool", None))
OPTION_TYPES.update((kind, ("list", "str")) for kind in ("csv", "csvset", "list", "idlist"))


class Field:
    """One field of a resource.

    kind says how values read and write:
      str     - as given
      int     - integers
      csv     - a comma-separated string in the API, a list in the module; order kept
      csvset  - likewise, but compared as a set (the view is sorted, duplicates dropped)
      none    - an optional string where "" and null both mean "none"
      bool    - an enum in the API (``true_value`` / ``false_value``), a boolean in the module
      list    - a list of strings (null items dropped; null reads as [])
      idlist  - a list of objects in the API, the ``key`` of each in the module
                (written as ``{key: ...}`` only: the read shape has more)
      env     - ``[{key, value}]`` in the API, a dict in the module
    ``documented``: the documented service has it (others may be missing).
    ``create_only``: sent on create only (the service keeps it on update).
    ``choices``: the values the module option accepts.
    """

    def __init__(self, option, api, kind="str", documented=False, create_only=False, choices=None, true_value=None, false_value=None, key=None, read=None):
        self.option = option
        self.api = api
        self.kind = kind
        self.documented = documented
        self.create_only = create_only
        self.choices = choices
        self.true_value = true_value
        self.false_value = false_value
        self.key = key
        self.selection = read or api

    def argument_spec(self):
        """The module option's argument spec."""
        option_type, elements = OPTION_TYPES[self.kind]
        spec = dict(type=option_type)
        if elements:
            spec["elements"] = elements
        if self.choices:
            spec["choices"] = list(self.choices)
        return spec

    def view(self, value):
        """The model's view of a value as the API returns it."""
        kind = self.kind
        if kind == "csv":
            return split_csv(value)
        if kind == "csvset":
            return sorted(set(split_csv(value)))
        if kind == "list":
            return [item for item in value or [] if item is not None]
        if kind == "idlist":
            return [item.get(self.key) for item in value or [] if item and item.get(self.key) is not None]
        if kind == "env":
            return dict((item.get("key"), item.get("value")) for item in value or [] if item and item.get("key") is not None)
        if value is None:
            return None
        if kind == "int":
            return int(value)
        if kind == "none":
            return value or None
        if kind == "bool":
            return value == self.true_value
        return value

    def normalise(self, value):
        """The canonical form of a value the user gave (None: not set)."""
        if value is None:
            return None
        if self.kind in ("csv", "csvset"):
            return self.view(value)
        if self.kind in ("list", "idlist"):
            return [item for item in value if item is not None]
        if self.kind == "env":
            return dict((str(k), "" if v is None else str(v)) for k, v in value.items())
        if self.kind == "int":
            return int(value)
        if self.kind == "none":
            return value or None
        if self.kind == "bool":
            return bool(value)
        return value

    def write(self, value):
        """The input value for a view value."""
        kind = self.kind
        if kind in ("csv", "csvset"):
            return ",".join(value) if value else None
        if kind == "idlist":
            return [{self.key: item} for item in value or []]
        if kind == "env":
            return [{"key": k, "value": v} for k, v in sorted((value or {}).items())]
        if kind == "bool":
            return None if value is None else (self.true_value if value else self.false_value)
        return value

    def write_back(self, value):
        """The input value that keeps a value exactly as read (only the shape changes). A variable
        read without a value is written with an empty one: the input requires a value."""
        if self.kind == "idlist":
            return None if value is None else [{self.key: item.get(self.key)} for item in value if item]
        if self.kind == "env":
            return (
                None
                if value is None
                else [{"key": i.get("key"), "value": "" if i.get("value") is None else i["value"]} for i in value if i and i.get("key") is not None]
            )
        if self.kind == "list":
            return None if value is None else [item for item in value if item is not None]
        return value


# Validation errors that name a field the service's schema lacks, in graphql-js
# and graphql-core wordings: a selection, or an input object field.
_UNKNOWN_FIELD = re.compile(
    r"""Cannot query field ["'](?P<selected>\w+)["']"""
    r"""|Field ["'](?P<input>\w+)["'] is not defined by type"""
    r"""|unknown field ["'](?P<unknown>\w+)["']"""
)


def unknown_fields(error):
    """The field names an APIError says the service does not know (empty: another failure)."""
    if not isinstance(error, APIError) or error.kind != "graphql":
        return set()
    names = set()
    for text in error.details or [error.message]:
        for match in _UNKNOWN_FIELD.finditer(text):
            names.add(match.group("selected") or match.group("input") or match.group("unknown"))
    return names


class Selection:
    """The fields of one resource a module run reads and writes, minus those the service lacks."""

    def __init__(self, fields):
        self.fields = fields
        self.lacking = set()

    def has(self, field):
        return field.api not in self.lacking

    def select(self, fields):
        """The selection text for these fields, skipping those the service lacks."""
        return " ".join(f.selection for f in fields if self.has(f))

    def execute(self, client, document, variables=None, wanted=(), **options):
        """client.execute(document(self), variables, **options); on a validation error naming
        fields the service lacks, learn them and send again (it ran nothing). A field of an
        option the task set (``wanted``) that the service lacks is a clear failure instead.
        ``variables`` may be a function of the selection (an input leaves lacking fields out)."""
        for _attempt in range(3):
            try:
                values = variables(self) if callable(variables) else variables
                return client.execute(document(self), values, **options)
            except APIError as exc:
                names = unknown_fields(exc) - self.lacking
                known = set(f.api for f in self.fields)
                if not names or not names <= known:
                    raise
                self.lacking.update(names)
                missing = [f.option for f in wanted if f.api in self.lacking]
                if missing:
                    raise ModelError(
                        "The service does not support %s (its API has no %s field)"
                        % (", ".join(sorted(missing)), ", ".join(sorted(f.api for f in wanted if f.api in self.lacking))),
                        "unsupported",
                    )
        raise APIError("The service kept refusing fields it does not know", "graphql")


# --- reading, comparing and planning (every resource) -------------------------


def myself_of(data):
    """``data["myself"]`` of a read; a null account is an authentication problem (observed)."""
    myself = data.get("myself")
    if myself is None:
        raise APIError("The API returned no account for this key (myself is null): check api_key (or the TENSORONE_API_KEY environment variable)", "auth")
    return myself


def desired_from(params, fields):
    """The options of ``fields`` the user set, normalised. Unset options are absent, never defaulted."""
    return dict((f.option, f.normalise(params.get(f.option))) for f in fields if params.get(f.option) is not None)


def differences(current, desired):
    """``{option: (current, desired)}`` for every desired option that differs."""
    return dict((option, (current.get(option), value)) for option, value in desired.items() if current.get(option) != value)


def diff_view(view, options):
    """The managed options of a resource as read, and its id, for diff output ({} when there is none)."""
    if not view:
        return {}
    shown = dict((option, view[option]) for option in options if option in view)
    shown["id"] = view.get("id")
    return shown


class Step:
    """One resource's planned change, as the planner made it: action is create, update, delete or
    none. ``where`` names the task item the step comes from (empty for a single resource)."""

    def __init__(self, action, before, desired=None, where=""):
        self.action = action
        self.before = before
        self.desired = desired or {}
        self.where = where


class Outcome:
    """What carrying one Step out did: its ``action`` as carried out (a create that met another
    run's resource of that name becomes an update of it, or nothing), the resource ``before`` and
    ``after`` (None: none), and ``where`` the Step's task item. The Step stays as planned."""

    def __init__(self, step):
        self.step = step
        self.where = step.where
        self.action = step.action
        self.before = step.before
        self.after = step.before if step.action == "none" else None

    @property
    def changed(self):
        return self.action != "none"


def refused(where, message, kind):
    """A ModelError of ``kind`` naming the task item ``where`` (if any)."""
    return ModelError("%s: %s" % (where, message) if where else message, kind)


def naming(step, error):
    """``error`` with its message naming the task item of ``step``."""
    if step.where:
        error.message = "%s: %s" % (step.where, error.message)
    return error


def find_one(items, kind, item_id=None, name=None, where="", hint="set id to choose one", describe=None):
    """The one ``kind`` (endpoint, template...) with this id (preferred) or name; None if none.

    More than one with the name is an error that lists their ids (``describe(item)``: how each is listed, its id by default).
    """
    if item_id is not None:
        matches = [i for i in items if i["id"] == item_id]
    else:
        matches = [i for i in items if i["name"] == name and name is not None]
    if len(matches) > 1:
        listing = ", ".join(describe(i) if describe else str(i["id"]) for i in matches)
        raise refused(where, "Found %d %ss named %r (ids: %s): %s" % (len(matches), kind, name, listing, hint), "ambiguous")
    return matches[0] if matches else None


class Deadline:
    """A time budget of one run (``Run.clock``), and the growing pause between polls (``Run.sleep``)."""

    def __init__(self, run, seconds, first_poll=0.5, max_poll=5.0):
        self.run = run
        self.seconds = seconds
        self.at = run.clock() + seconds
        self.poll = first_poll
        self.max_poll = max_poll

    def expired(self):
        return self.run.clock() >= self.at

    def wait(self):
        """Sleep until the next poll (never past the deadline by more than a tenth of a second)."""
        self.run.sleep(min(self.poll, max(0.1, self.at - self.run.clock())))
        self.poll = min(self.poll * 1.5, self.max_poll)


def value_errors(params, not_blank=(), ranges=()):
    """Messages, each naming its option, for options set to white space only (``not_blank``) and
    integers out of range (``ranges``: (option, low, high))."""
    errors = ["%s must not be empty" % o for o in not_blank if isinstance(params.get(o), str) and not params[o].strip()]
    for option, low, high in ranges:
        value = params.get(option)
        if value is None or low <= value <= high:
            continue
        if high != INT32_MAX:
            limit = "between %d and %d" % (low, high)
        elif value > high:
            limit = "at most %d (the API's largest integer)" % high
        else:
            limit = "at least %d" % low
        errors.append("%s must be %s, got %d" % (option, limit, value))
    return errors


def padded_warnings(kind, named):
    """Warnings for each (what, text) of ``named`` with white space around it (the API keeps it as given)."""
    return [
        "The %s's %s %r starts or ends with white space; the API keeps it as given" % (kind, what, text)
        for what, text in named
        if isinstance(text, str) and text.strip() and text != text.strip()
    ]


def labelled(kind, view):
    """``kind 'name' (id)``: how messages and actions name a resource."""
    return "%s %r (%s)" % (kind, view.get("name"), view.get("id"))


def full_input(fields, current, desired, selection=None, required=(), label=""):
    """The full input of a create (``current`` None: the fields ``desired`` sets) or an update.

    ``current`` is the resource as the API returned it: an update REPLACES it, so every writable
    field it has is sent, the task's value where it sets one, the value exactly as read otherwise.
    Fields the service lacks (``selection``) are never sent. ``required`` (option names) must have
    a value in an update's input: ``label`` names the resource.
    """
    fields = [f for f in fields if selection is None or selection.has(f)]
    if current is None:
        written = ((f.api, f.write(desired[f.option])) for f in fields if f.option in desired)
        return dict((api, value) for api, value in written if value is not None)
    api_input = {"id": current["id"]}
    for field in fields:
        if field.create_only:
            continue
        if field.option in desired:
            api_input[field.api] = field.write(desired[field.option])
        elif field.api in current:
            api_input[field.api] = field.write_back(current[field.api])
    by_option = dict((f.option, f) for f in fields)
    missing = [o for o in required if o in by_option and api_input.get(by_option[o].api) in (None, "")]
    if missing:
        raise ModelError(
            "%s has no %s in the API's answer; set %s to update it" % (label, ", ".join(by_option[o].api for o in missing), ", ".join(missing)),
            "invalid_option",
        )
    return api_input


class PendingId(str):
    """Check mode's stand-in for the id of a resource that does not exist yet (the same play may
    create it first, as the role does); shown as null in predictions."""


class Reference:
    """An option that names another resource (``option``: its name; ``id_option``: its id), for
    example an endpoint's ``template``: ``kind`` is the other resource, ``owner`` the one naming it,
    ``module`` the module that makes the other."""

    # The advice of a refusal for a name several candidates have.
    hint = "rename or delete the others in the console"

    def __init__(self, kind, option, id_option, owner, module):
        self.kind = kind
        self.option = option
        self.id_option = id_option
        self.owner = owner
        self.module = module

    def resolve(self, run, items, labels, candidates):
        """The task items with the name resolved to the id, from ``candidates`` ({id, name}, read in
        the same request as the items' resources); ``labels`` name the items in messages. A delete
        needs no reference."""
        resolved = []
        for where, item in zip(labels, items):
            name = item.get(self.option)
            if name is None or item.get("state", "present") != "present":
                resolved.append(item)
                continue
            resolved.append(dict(item, **{self.id_option: self.match(run, name, candidates, where)}))
        return resolved

    def match(self, run, name, candidates, where, among=None, within="", hint=None):
        """The id of the one of ``among`` (default: every candidate) named ``name``. ``within`` says in
        messages where the name was looked for, ``hint`` what to do when several have it. An unknown name
        fails before any change, listing the account's (every candidate, as ``listing`` shows one); check
        mode warns and predicts with a ``PendingId`` instead (the same play may create it first)."""
        among = candidates if among is None else among
        match = find_one(among, self.kind, name=name, where=where, hint=hint or self.hint, describe=self.describe)
        if match is not None:
            return match["id"]
        if run.check_mode:
            run.warnings.append(
                "%sNo %s named %r exists%s yet: check mode predicts the %s with %s null; a run fails unless the %s exists by then"
                % (where + ": " if where else "", self.kind, name, within, self.owner, self.id_option, self.kind)
            )
            return PendingId("(%s %r, not created yet)" % (self.kind, name))
        names = sorted(self.listing(c) for c in candidates)
        known = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "") if names else "none"
        raise refused(
            where,
            "No %s named %r exists%s (%s); the account's %ss: %s. Create it first, for example with %s"
            % (self.kind, name, within, self.option, self.kind, known, self.module),
            "not_found",
        )

    def describe(self, candidate):
        """How a refusal lists one of the candidates a name matches (a reference whose names are not unique says more)."""
        return str(candidate["id"])

    def listing(self, candidate):
        """How the not-found refusal lists one of the account's candidates."""
        return repr(candidate.get("name"))


def in_use_error(label, users, advice):
    """The refusal to delete ``label`` while ``users`` (labels) still reference it, naming them."""
    return ModelError("%s is used by %s: nothing was deleted. %s" % (label, ", ".join(users), advice), "in_use")


# --- carrying a plan out (every resource) -------------------------------------


class Resource:
    """What every resource model does for one module run (``_runner.Run``), honouring check mode.

    A model subclasses it and gives, in its own words: ``kind`` (for messages), ``find(name)`` (a
    fresh read of the one with that name), ``changes(view, desired)`` (what differs, as option names
    for messages), ``predict(view, desired)`` (check mode's view: the desired options over the view
    as read, or over the create defaults), ``send_create(desired)`` and ``send_update(view,
    desired)`` (its gateway's save, returning the view saved). The base owns the rest: the action
    lines, recovery from a lost or refused create, "did not apply" and "gone".
    """

    kind = None
    create_needs = ()

    def __init__(self, run):
        self.run = run
        self.client = run.client
        self.check_mode = run.check_mode
        self.actions = run.actions
        self.warnings = run.warnings

    def label(self, view):
        return labelled(self.kind, view)

    def update_action(self, view, desired):
        """The action line of an update (a model may say more, for example what the save rolls)."""
        return "update %s: %s" % (self.label(view), ", ".join(self.changes(view, desired)))

    def create(self, outcome, desired):
        """Create the resource of ``outcome``'s Step. A lost response is looked up by name, never
        sent again blindly; a refusal because another run made the name meanwhile (names are unique)
        converges that resource instead of failing; so does a look-up that finds another run's."""
        name = desired["name"]
        if self.check_mode:
            self.actions.append("create %s %r" % (self.kind, name))
            outcome.after = self.predict(None, desired)
            return
        try:
            created = self.send_create(desired)
        except APIError as exc:
            taken = exc.kind == "graphql" and self.find(name)
            if not taken:
                raise
            self.warnings.append("%s %r was created by someone else meanwhile; this run converges it" % (self.kind.capitalize(), name))
            outcome.before = created = taken
            outcome.action = "update" if self.changes(taken, desired) else "none"
        else:
            self.actions.append("create %s %r" % (self.kind, name))
        outcome.after = self.update(created, desired) if self.changes(created, desired) else created

    def lookup(self, name, matches=None):
        """A look-up for ``Client.execute(applied=...)``: the one resource named ``name`` in a fresh read
        (``matches(view)`` tells whether it is what the lost request made), or None."""

        def applied():
            found = self.find(name)
            return found if found is not None and (matches is None or matches(found)) else None

        return applied

    def update(self, view, desired, action=None):
        """Save ``desired`` over ``view``; returns the view saved (predicted in check mode)."""
        action = action or self.update_action(view, desired)
        if self.check_mode:
            self.actions.append(action)
            return self.predict(view, desired)
        saved = self.send_update(view, desired)
        self.actions.append(action)
        not_applied = self.changes(saved, desired)
        if not_applied:
            self.warnings.append("The API did not apply %s to %s %r; the next run will try again" % (", ".join(not_applied), self.kind, saved.get("name")))
        return saved

    def gone(self, view):
        # the kind capitalised, not the label: capitalize() would lower the name's and the id's capitals
        return ModelError("%s is gone: it was deleted since this run read it" % labelled(self.kind.capitalize(), view), "gone")

    def plan(self, view, desired, state="present"):
        """The Step that brings the resource (``view`` as read, or None) to ``state``; a create
        needs the options in ``create_needs``."""
        if state == "absent":
            return Step("delete" if view else "none", view)
        if view is None:
            missing = [option for option in self.create_needs if option not in desired]
            if missing:
                message = "%s %r does not exist; creating it needs %s" % (self.kind.capitalize(), desired.get("name"), ", ".join(missing))
                raise ModelError(message, "create_needs")
            return Step("create", None, desired)
        return Step("update" if self.changes(view, desired) else "none", view, desired)

    def carry_out(self, step):
        """The Outcome of one resource's Step; a delete is the model's ``retire(outcome)`` (its own
        refusals first)."""
        outcome = Outcome(step)
        if step.action == "delete":
            self.retire(outcome)
        elif step.action == "create":
            self.create(outcome, step.desired)
        elif step.action == "update":
            outcome.after = self.update(step.before, step.desired)
        return outcome


def recovered(reply, from_reply):
    """The view of a save's ``reply``, or what the look-up found when its response was lost."""
    return reply.value if isinstance(reply, Recovered) else from_reply(reply)


def listed(items, wanted_id=None, wanted_name=None):
    """The info modules' filter: the items with this id and this name (None: any)."""
    return [i for i in items if (wanted_id is None or i["id"] == wanted_id) and (wanted_name is None or i["name"] == wanted_name)]
