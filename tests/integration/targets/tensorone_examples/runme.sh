#!/usr/bin/env bash
# The modules' EXAMPLES, exactly as documented, run as one sequence against
# the emulator (tensorone_endpoint, then tensorone_endpoints, then
# tensorone_endpoint_info; then tensorone_secret and tensorone_secret_info as
# a second sequence, tensorone_template and tensorone_template_info as a
# third, tensorone_registry_auth and tensorone_registry_auth_info as a fourth,
# tensorone_network_volume and tensorone_network_volume_info as a fifth);
# examples.yml then checks what they did.
# ansible-test runs this from the target's directory.
set -eux
ansible-playbook -i "$INVENTORY_PATH" -e @../../integration_config.yml -e examples_dir="$OUTPUT_DIR" examples.yml
