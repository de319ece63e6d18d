#!/usr/bin/env bash
# The package outside the source tree: build the wheel, install it in a fresh venv in an
# empty folder, build a small knowledge base with dense vectors from the mirror, then search,
# look a code up, show a vault page (the vault ships in the wheel) and serve the API. Run by
# `make smoke` (part of make test). Kept lean: the venv gets no pip of its own (the repo's
# pip installs into it with --python), no byte-compiling of the dependencies, and the build
# embeds two small sources (place of service, Level I modifiers) rather than the vault's
# long pages; every feature is still exercised from the installed wheel.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
MIRROR=$(cd "${MEDREF_SOURCES:-$REPO/../shared/cms}" && pwd)
# a free port: a fixed one may be taken by another server on this machine (or its smoke)
PORT=${SMOKE_PORT:-$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
WORK=$(mktemp -d)
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$REPO/.venv/bin/pip" wheel -q --no-deps -w "$WORK/dist" "$REPO"
"$PYTHON" -m venv --without-pip "$WORK/venv"
"$REPO/.venv/bin/pip" --python "$WORK/venv/bin/python" install -q --no-compile "$WORK"/dist/medref-*.whl
mkdir "$WORK/empty" && cd "$WORK/empty"
export MEDREF_HOME="$WORK/home" MEDREF_SOURCES="$MIRROR" MEDREF_EMBEDDINGS=true
medref() { "$WORK/venv/bin/medref" "$@"; }
fail() { echo "wheel smoke: $*" >&2; exit 1; }

medref build --source pos --source modifiers --no-progress
test -f "$MEDREF_HOME/current/retrieval/dense.json" || fail "the build wrote no dense vectors"
medref search "where the patient was seen: doctor's office" -k 5 --json > search.json
grep -q '"POS:11"' search.json || fail "search did not find POS:11"
grep -Eq '"via": "(dense|fused)"' search.json || fail "no hit came from the dense vectors"
medref vault show modifier-25 > vault.txt 2>&1 || { cat vault.txt; fail "vault show failed"; }
grep -qi "modifier 25" vault.txt || fail "vault page modifier-25 missing"
medref code 25 --json | grep -q '"MOD:25"' || fail "code card of modifier 25"

medref serve --port "$PORT" > serve.log 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do
  kill -0 "$SERVER" 2>/dev/null || { cat serve.log >&2; fail "medref serve exited"; }
  if "$WORK/venv/bin/python" -c "import httpx,sys; httpx.get('http://127.0.0.1:$PORT/api/health').raise_for_status()" 2>/dev/null; then
    break
  fi
  sleep 0.5
done
"$WORK/venv/bin/python" - "$PORT" <<'PY'
import sys

import httpx

base = f"http://127.0.0.1:{sys.argv[1]}"
hits = httpx.get(f"{base}/api/search", params={"q": "office visit place", "k": 5}).json()
assert any(hit["ref"] == "POS:11" for hit in hits), hits
page = httpx.get(f"{base}/api/vault/modifier-25").json()
assert page["slug"] == "modifier-25", page
assert "<html" in httpx.get(base + "/").text.lower()
PY
echo "wheel smoke: ok (build, search with dense vectors, code, vault, serve)"
