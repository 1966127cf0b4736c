#!/usr/bin/env bash
# api_url is a secret (it can carry credentials): at -vvv, with the module's
# invocation in every result (ANSIBLE_INJECT_INVOCATION=1, which
# ansible-core 2.21 needs for that), the URL's user name and password never
# show: not when the module succeeds, not when it fails in its constructor on
# a mistyped option, not when the connection is refused. Then the output is
# searched for them. ansible-test runs this from the target's directory.
set -eux

inventory=${INVENTORY_PATH:-../../inventory}
out_dir=${OUTPUT_DIR:-$(mktemp -d)}
log=$out_dir/url-secrets-vvv.log

rc=0
ANSIBLE_INJECT_INVOCATION=1 ansible-playbook -vvv -i "$inventory" -e @../../integration_config.yml \
    url_secrets.yml > "$log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
    grep -v -F -e 'url-user-4d2f' -e 'url-password-9b7e' "$log" | tail -n 120
    exit 1
fi
if grep -c -F -e 'url-user-4d2f' -e 'url-password-9b7e' "$log"; then
    echo "LEAK: the URL's credentials appear in the output"
    exit 1
fi
# The scenarios really ran, with their failures where expected.
grep -q 'URL-SECRETS-DONE' "$log"
grep -q 'Unsupported parameters' "$log"
grep -q 'Could not connect to 127.0.0.1:1' "$log"
grep -q '"invocation"' "$log"
echo "url secrets: $(wc -l < "$log") lines of -vvv output searched, no URL credential found"
