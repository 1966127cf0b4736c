#!/usr/bin/env bash
# The modules' EXAMPLES, exactly as documented, run as one sequence against
# the emulator (tensorone_endpoint, then tensorone_endpoints, then
# tensorone_endpoint_info); examples.yml then checks what they did.
# ansible-test runs this from the target's directory.
set -eux

inventory=${INVENTORY_PATH:-../../inventory}
out_dir=${OUTPUT_DIR:-$(mktemp -d)}
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}

"$python" write_examples.py "$out_dir/examples_tasks.yml" \
    tensorone_endpoint tensorone_endpoints tensorone_endpoint_info
ansible-playbook -i "$inventory" -e @../../integration_config.yml \
    -e examples_tasks="$out_dir/examples_tasks.yml" examples.yml
