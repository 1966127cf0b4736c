#!/usr/bin/env bash
# The modules' EXAMPLES, exactly as documented, run as one sequence against
# the emulator (tensorone_endpoint, then tensorone_endpoints, then
# tensorone_endpoint_info; then tensorone_template and tensorone_template_info
# as a second sequence); examples.yml then checks what they did.
# ansible-test runs this from the target's directory.
set -eux

inventory=${INVENTORY_PATH:-../../inventory}
out_dir=${OUTPUT_DIR:-$(mktemp -d)}
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}

"$python" write_examples.py "$out_dir/examples_tasks.yml" \
    tensorone_endpoint tensorone_endpoints tensorone_endpoint_info
"$python" write_examples.py "$out_dir/template_examples_tasks.yml" \
    tensorone_template tensorone_template_info
ansible-playbook -i "$inventory" -e @../../integration_config.yml \
    -e examples_tasks="$out_dir/examples_tasks.yml" \
    -e template_examples_tasks="$out_dir/template_examples_tasks.yml" examples.yml
