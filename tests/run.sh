#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: installs what the tests need, then runs them.
# Usage: bash tests/run.sh [cargo test args...]
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the real peers and checks need (program → package).
need=(
  "tmux:tmux"
  "ippeveprinter:cups-ipp-utils"
  "ipptool:cups-ipp-utils"
  "dbus-daemon:dbus"
  "qpdf:qpdf"
  "pdftotext:poppler-utils"
  "sqlite3:sqlite3"
  "unzip:unzip"
  "openssl:openssl"
  "/usr/lib/postgresql/15/bin/initdb:postgresql"
)
missing=()
for pair in "${need[@]}"; do
  prog=${pair%%:*}; pkg=${pair#*:}
  if [[ $prog == /* ]]; then [[ -x $prog ]] || missing+=("$pkg"); else command -v "$prog" >/dev/null || missing+=("$pkg"); fi
done
# Documents print CJK through an installed system font.
[[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]] || missing+=(fonts-noto-cjk)
python3 -c 'import pyftpdlib' 2>/dev/null || missing+=(python3-pyftpdlib)
python3 -c 'import OpenSSL' 2>/dev/null || missing+=(python3-openssl)
python3 -c 'import aiosmtpd' 2>/dev/null || missing+=(python3-aiosmtpd)
python3 -c 'import prometheus_client' 2>/dev/null || missing+=(python3-prometheus-client)
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "tests/run.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo_cmd=(); [[ $(id -u) == 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's Python modules live outside a pyenv interpreter: fall back to PyPI for those.
python3 -c 'import pyftpdlib' 2>/dev/null || pip install -q pyftpdlib
python3 -c 'import OpenSSL' 2>/dev/null || pip install -q pyOpenSSL
python3 -c 'import aiosmtpd' 2>/dev/null || pip install -q aiosmtpd
python3 -c 'import prometheus_client' 2>/dev/null || pip install -q prometheus-client

# ippeveprinter needs a D-Bus system bus for DNS-SD.
if ! pgrep -x dbus-daemon >/dev/null 2>&1 || [[ ! -S /run/dbus/system_bus_socket ]]; then
  if [[ $(id -u) == 0 ]]; then
    mkdir -p /run/dbus
    rm -f /run/dbus/pid
    dbus-daemon --system --fork || true
  fi
fi

cargo build --locked --all-targets
# cargo-nextest runs every test in its own process; a test that fails and then passes on its one
# retry is reported as FLAKY in the summary (terminal tests under a loaded CI machine), never hidden.
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "tests/run.sh: installing cargo-nextest"
  cargo install --locked cargo-nextest
fi
# cargo-deb packages backroom for the Debian package test (tests/system_setup.rs).
if ! cargo deb --version >/dev/null 2>&1; then
  echo "tests/run.sh: installing cargo-deb"
  cargo install --locked cargo-deb
fi
cargo test --locked --doc
cargo nextest run --locked --retries 1 --no-fail-fast "$@"
