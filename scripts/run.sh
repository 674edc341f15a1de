#!/usr/bin/env bash
# `make run`: initialise the database under $KIEMKE_DATA_DIR (./var), start the server under
# gunicorn, enroll this machine's agent, send its first report, and say where to look.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export KIEMKE_DATA_DIR=${KIEMKE_DATA_DIR:-./var}
PORT=${KIEMKE_PORT:-8080}
URL="http://127.0.0.1:${PORT}"
AGENT_CONF="$KIEMKE_DATA_DIR/agent/agent.conf"
mkdir -p "$KIEMKE_DATA_DIR"

echo "==> Preparing the database in $KIEMKE_DATA_DIR"
"$BIN/kiemke-server" init | tee "$KIEMKE_DATA_DIR/.init.log"
if grep -q "admin password" "$KIEMKE_DATA_DIR/.init.log"; then
  PASSWORD_NOTE="the password printed above (shown once)"
else
  PASSWORD_NOTE="the password printed by the first 'make run'"
fi
rm -f "$KIEMKE_DATA_DIR/.init.log"

if curl -fsS "$URL/healthz" >/dev/null 2>&1; then
  echo "kiemke: something already answers on $URL; set KIEMKE_PORT to use another port" >&2
  exit 1
fi

echo "==> Starting the server on $URL (gunicorn)"
"$BIN/kiemke-server" run --host 127.0.0.1 --port "$PORT" --workers 2 &
SERVER=$!
cleanup() {
  trap - INT TERM EXIT
  if kill -0 "$SERVER" 2>/dev/null; then
    echo; echo "==> Stopping the server"
    kill -TERM "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
  fi
}
trap cleanup INT TERM EXIT
for _ in $(seq 1 60); do
  curl -fsS "$URL/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { echo "kiemke: the server failed to start" >&2; exit 1; }
  sleep 0.5
done

if [ ! -s "$KIEMKE_DATA_DIR/agent/state/token" ]; then
  echo "==> Enrolling this machine's agent"
  SECRET=$("$BIN/kiemke-server" secret create --days 1 --label "make run" | tail -n 1)
  "$BIN/kiemke-agent" enroll --server "$URL" --secret "$SECRET" --config "$AGENT_CONF"
else
  echo "==> This machine's agent is already enrolled"
  sed -i "s|^server_url = .*|server_url = $URL|" "$AGENT_CONF"
fi
echo "==> Sending this machine's report"
"$BIN/kiemke-agent" once --config "$AGENT_CONF"

cat <<MSG

  Kiemke is running at $URL
    Log in:    $URL/login   user: admin   password: $PASSWORD_NOTE
    Look at:   $URL/hosts   this machine, its hardware, software and history
    API:       $URL/api/v1/openapi.json   (token: .venv/bin/kiemke-server token create --user admin)
    Agent:     .venv/bin/kiemke-agent once --config $AGENT_CONF   sends another report

  Press Ctrl-C to stop.
MSG
wait "$SERVER"
