#!/usr/bin/env bash
# A version_command for gateways whose serverinfo "version" does not show the
# fix level (it reads X.Y.0.0.<build> whatever fix is installed): print the
# node's version as <release>.0.<highest fix>, the fix taken from the names
# in serverinfo's patch_nums. Look at the names your nodes report first
# (data source apigw_node, attribute fixes); if they differ, set FIX_PATTERN
# in command_env to a regular expression (jq syntax) with a group named fix.
#
# Needs curl and jq on the machine that runs Terraform. The gateway password
# comes from command_secret_env (GW_PASSWORD): commands do not inherit
# APIGW_PASSWORD. Set GW_CA_FILE for a gateway with a private CA.
set -euo pipefail
pattern=${FIX_PATTERN:-'^API(GW|Gateway)_[0-9.]+_Fix(?<fix>[0-9]+)$'}
info=$(curl -fsS --max-time 20 ${GW_CA_FILE:+--cacert "$GW_CA_FILE"} \
  -u "${GW_USER:-Administrator}:${GW_PASSWORD:?set GW_PASSWORD in command_secret_env}" \
  -H 'Accept: application/json' "$APIGW_NODE_URL/rest/apigateway/is/serverinfo")
release=$(jq -er '.version | tostring | split(".")[0:2] | join(".")' <<<"$info")
fix=$(jq -r --arg re "$pattern" '(.patch_nums // {}) | if type == "object" then keys[] else empty end | capture($re).fix' <<<"$info" |
  sort -n | tail -n 1)
echo "$release.0.${fix:-0}"
