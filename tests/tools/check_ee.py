# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Check that the example execution environment installs tensorone.cloud and
# requests, up to the image build (no container runtime here):
# 1. the collection tarball is installed into a private dir (the stand-in for
#    what the EE's galaxy stage installs into /usr/share/ansible/collections);
# 2. `ansible-builder create` on docs/awx/execution-environment.yml writes the
#    build context with the network cut off (an audit hook, self-tested first,
#    refuses every IP socket), and the context holds nothing downloaded;
# 3. the context installs the collection (_build/requirements.yml admits
#    galaxy.yml's version; the Containerfile installs it) and requests (the
#    Containerfile pip-installs what its own introspect.py reports);
# 4. that introspect.py and `ansible-builder introspect` both report requests
#    from tensorone.cloud; 5. the AWX guide shows the EE file verbatim.
# Tools come from PATH: `PATH=.venv/bin:$PATH .venv/bin/python tests/tools/check_ee.py`.

import os
import re
import subprocess
import sys

from checks_common import ROOT, CheckFailed, check_copy_in_guide, install_collection, main, run, step, tool

EE_FILE = os.path.join(ROOT, "docs", "awx", "execution-environment.yml")
COLLECTION = "tensorone.cloud"
PYTHON_REQUIREMENT = "requests"
# Where ansible-builder's galaxy stage installs collections, and where its
# introspect.py looks when given no folder.
IMAGE_COLLECTIONS_PATH = "/usr/share/ansible/collections"

# Loaded through PYTHONPATH into every Python process the guarded commands
# start (ansible-builder, ansible-galaxy): any IP connection or name lookup is
# logged and refused.
NETWORK_GUARD = '''\
import ipaddress
import os
import socket
import sys

_LOG = os.environ.get("CHECK_EE_NETWORK_LOG")


def _is_ip_literal(host):
    # Resolving "127.0.0.1" needs no network (ansible-core does it at start-up).
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except (AttributeError, ValueError):
        return host is None
    return True


def _refuse(event, args):
    if event == "socket.connect":
        if getattr(args[0], "family", None) not in (socket.AF_INET, socket.AF_INET6):
            return
        what = args[1]
    elif event == "socket.getaddrinfo":
        if _is_ip_literal(args[0]):
            return
        what = args[:2]
    elif event in ("socket.gethostbyname", "socket.gethostbyname_ex"):
        what = args
    else:
        return
    if _LOG:
        with open(_LOG, "a") as log:
            log.write("%s %r (%s)\\n" % (event, what, " ".join(sys.argv)))
    raise OSError("network access refused by tests/tools/check_ee.py: %s %r" % (event, what))


sys.addaudithook(_refuse)
'''


def read(path):
    with open(path) as handle:
        return handle.read()


def yaml_loads(text):
    try:
        import yaml  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise CheckFailed("PyYAML is missing from %s (run this with the project's venv Python)" % sys.executable)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CheckFailed("not valid YAML: %s\n%s" % (error, text))


def load_yaml(path):
    return yaml_loads(read(path))


def guarded_env(work):
    """Environment for commands that must not touch the network, and its log path."""
    guard_dir = os.path.join(work, "network-guard")
    os.makedirs(guard_dir)
    with open(os.path.join(guard_dir, "sitecustomize.py"), "w") as handle:
        handle.write(NETWORK_GUARD)
    log = os.path.join(work, "network-attempts.log")
    env = dict(os.environ, CHECK_EE_NETWORK_LOG=log,
               PYTHONPATH=os.pathsep.join(p for p in (guard_dir, os.environ.get("PYTHONPATH")) if p))
    # Also aim anything that honours proxies at a closed port.
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env[name] = "http://127.0.0.1:9"
    env.pop("no_proxy", None)
    env.pop("NO_PROXY", None)
    return env, log


def self_test_guard(env, log):
    """The guard must catch a name lookup and a connection, or it proves nothing."""
    probe = ("import socket, urllib.request\n"
             "for attempt in (lambda: socket.getaddrinfo('galaxy.ansible.com', 443),\n"
             "                lambda: urllib.request.urlopen('http://127.0.0.1:9/', timeout=5)):\n"
             "    try:\n"
             "        attempt()\n"
             "    except OSError:\n"
             "        pass\n")
    subprocess.run([sys.executable, "-c", probe], env=env, check=False)
    caught = network_attempts(log)
    if "socket.getaddrinfo" not in caught or "socket.connect" not in caught:
        raise CheckFailed("the network guard missed a test lookup or connection (caught: %r); it cannot vouch for `create`" % caught)
    os.remove(log)


def network_attempts(log):
    return read(log).strip() if os.path.exists(log) else ""


def check_requirements_yml(context, version):
    from packaging.specifiers import InvalidSpecifier, SpecifierSet  # pylint: disable=import-outside-toplevel

    path = os.path.join(context, "_build", "requirements.yml")
    if not os.path.exists(path):
        raise CheckFailed("the build context has no _build/requirements.yml: the EE installs no collection")
    wanted = [entry for entry in (load_yaml(path) or {}).get("collections") or []
              if isinstance(entry, dict) and entry.get("name") == COLLECTION]
    if len(wanted) != 1:
        raise CheckFailed("_build/requirements.yml does not name %s exactly once:\n%s" % (COLLECTION, read(path)))
    entry = wanted[0]
    if entry.get("type", "galaxy") != "galaxy" or entry.get("source"):
        raise CheckFailed("expected %s from Galaxy (no type, no source), got %r" % (COLLECTION, entry))
    spec = str(entry.get("version", "*"))
    if spec != "*":
        try:
            specifiers = SpecifierSet(spec)
        except InvalidSpecifier:
            raise CheckFailed("%s: version %r is not a version range" % (COLLECTION, spec))
        if not specifiers.contains(version, prereleases=True):
            raise CheckFailed("%s: version range %r excludes this collection's version %s" % (COLLECTION, spec, version))
    return spec


def check_containerfile(context):
    containerfile = read(os.path.join(context, "Containerfile"))
    expected = [
        ("the galaxy stage installs _build/requirements.yml",
         r"(?m)^RUN .*ansible-galaxy collection install .*-r requirements\.yml .*--collections-path \"?%s\"?\s*$"
         % re.escape(IMAGE_COLLECTIONS_PATH)),
        ("the galaxy stage copies _build into its workdir", r"(?m)^COPY _build /build\s*\n+WORKDIR /build\s*$"),
        ("the builder stage gets the installed collections",
         r"(?m)^COPY --from=galaxy /usr/share/ansible /usr/share/ansible\s*$"),
        ("the builder stage introspects them into a pip requirements file",
         r"(?m)^RUN \$PYCMD /output/scripts/introspect\.py introspect .*--write-pip=/tmp/src/requirements\.txt"),
        ("the builder stage builds the requirements", r"(?m)^RUN /output/scripts/assemble\s*$"),
        ("the final stage installs them", r"(?m)^RUN /output/scripts/install-from-bindep( |$)"),
        ("the final stage has the collections", r"(?m)^FROM base AS final(.*\n)*COPY --from=galaxy /usr/share/ansible /usr/share/ansible"),
    ]
    for what, pattern in expected:
        if not re.search(pattern, containerfile):
            raise CheckFailed("Containerfile: %s: no line matches %s" % (what, pattern))
    assemble = read(os.path.join(context, "_build", "scripts", "assemble"))
    if "-r /tmp/src/requirements.txt" not in assemble or "cp /tmp/src/requirements.txt /output/requirements.txt" not in assemble:
        raise CheckFailed("_build/scripts/assemble no longer pip-installs /tmp/src/requirements.txt")
    install = read(os.path.join(context, "_build", "scripts", "install-from-bindep"))
    if "-r /output/requirements.txt" not in install:
        raise CheckFailed("_build/scripts/install-from-bindep no longer pip-installs /output/requirements.txt")
    introspect = read(os.path.join(context, "_build", "scripts", "introspect.py"))
    if IMAGE_COLLECTIONS_PATH not in introspect:
        raise CheckFailed("_build/scripts/introspect.py does not look in %s by default" % IMAGE_COLLECTIONS_PATH)
    base = re.search(r'(?m)^ARG EE_BASE_IMAGE="?([^"\n]+)"?', containerfile)
    return base.group(1) if base else "?"


def check_no_downloads(context):
    found = []
    for dirpath, _dirnames, filenames in os.walk(context):
        for name in filenames:
            if name.endswith((".tar.gz", ".whl", ".zip")):
                found.append(os.path.relpath(os.path.join(dirpath, name), context))
    if found:
        raise CheckFailed("`ansible-builder create` put downloaded artifacts into the context: %s" % ", ".join(found))


def check_requirement_listed(lines, source):
    text = "\n".join(lines)
    names = set()
    for line in lines:
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            names.add(re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower())
    if PYTHON_REQUIREMENT not in names:
        raise CheckFailed("%s does not list %s:\n%s" % (source, PYTHON_REQUIREMENT, text))
    if "from collection %s" % COLLECTION not in text:
        raise CheckFailed("%s does not attribute %s to %s:\n%s" % (source, PYTHON_REQUIREMENT, COLLECTION, text))


def check(args, work):
    env, network_log = guarded_env(work)
    self_test_guard(env, network_log)
    step("network guard active (its self-test caught a name lookup and a connection)")

    galaxy_meta = load_yaml(os.path.join(ROOT, "galaxy.yml"))
    if "%s.%s" % (galaxy_meta["namespace"], galaxy_meta["name"]) != COLLECTION:
        raise CheckFailed("galaxy.yml is not %s" % COLLECTION)
    collections, tarball = install_collection(work, env, args.tarball)
    step("installed %s into %s" % (tarball, collections))

    builder = tool("ansible-builder")
    context = os.path.join(work, "context")
    output = run([builder, "create", "-f", EE_FILE, "-c", context, "--output-filename", "Containerfile"], env=env)
    attempts = network_attempts(network_log)
    if attempts:
        raise CheckFailed("`ansible-builder create` tried to reach the network:\n%s" % attempts)
    check_no_downloads(context)
    check_copy_in_guide(EE_FILE)
    step("ansible-builder create wrote %s offline, nothing downloaded (%s)"
         % (context, output.strip().splitlines()[-1] if output.strip() else "no output"))

    spec = check_requirements_yml(context, str(galaxy_meta["version"]))
    base = check_containerfile(context)
    step("context installs %s %s from Galaxy onto %s, then pip-installs what introspect.py finds" % (COLLECTION, spec, base))

    # What the builder stage runs, over the collection as the galaxy stage would install it.
    pip_file = os.path.join(work, "introspected-requirements.txt")
    run([sys.executable, os.path.join(context, "_build", "scripts", "introspect.py"), "introspect",
         "--write-pip=%s" % pip_file, "--write-bindep=%s" % os.path.join(work, "introspected-bindep.txt"),
         collections], env=env)
    # introspect.py writes no file when there is nothing to install.
    pip_lines = read(pip_file).splitlines() if os.path.exists(pip_file) else []
    check_requirement_listed(pip_lines, "the context's introspect.py output")
    report = run([builder, "introspect", collections], env=env)
    check_requirement_listed((yaml_loads(report) or {}).get("python") or [], "`ansible-builder introspect`")
    step("introspect.py from the context and `ansible-builder introspect` report: %s"
         % "; ".join(line.strip() for line in pip_lines if line.strip()))

    attempts = network_attempts(network_log)
    if attempts:
        raise CheckFailed("a step tried to reach the network:\n%s" % attempts)
    return "%s's build context installs %s and %s" % (os.path.relpath(EE_FILE, ROOT), COLLECTION, PYTHON_REQUIREMENT)


if __name__ == "__main__":
    sys.exit(main("Check that the example execution environment installs tensorone.cloud and requests.", check))
