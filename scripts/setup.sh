# Shared setup for scripts/run and scripts/test: system packages, virtualenv, project install.
# Sourced, not run. Safe to repeat: each step checks before it acts.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Debian packages: WeasyPrint's Pango and HarfBuzz subsetter, a Korean font; for tests also
# Chromium (end-to-end journeys) and poppler-utils (PDF text checks).
RUNTIME_PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-nanum"
TEST_PACKAGES="chromium poppler-utils"

# The interpreter the virtualenv is made from: $PYTHON if set; else the distribution's own
# /usr/bin/python3 when it is 3.11 or newer, because Debian builds it with profile-guided and
# link-time optimisation (on it a contract rendered about 12% faster than on pyenv's plain
# build of 3.11, and a browse or listing page about 10%); else the first python3 on the PATH.
base_python() {
  local candidate
  for candidate in ${PYTHON:-/usr/bin/python3 python3}; do
    candidate="$(command -v "$candidate")" || continue
    "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || continue
    echo "$candidate"
    return 0
  done
  return 1
}

ensure_system_packages() {
  local wanted="$RUNTIME_PACKAGES" missing="" pkg python
  [ "${1:-}" = "test" ] && wanted="$wanted $TEST_PACKAGES"
  python="$(base_python)" || { echo "Python 3.11+ is required (apt-get install python3)"; exit 1; }
  "$python" -c 'import venv, ensurepip' 2>/dev/null || wanted="$wanted python3-venv"
  command -v dpkg-query >/dev/null || return 0   # not Debian: trust the machine
  for pkg in $wanted; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing="$missing $pkg"
  done
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = 0 ]; then
    say "Installing system packages:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "Missing system packages:$missing"
    echo "Install them as root:  sudo apt-get install$missing"
    exit 1
  fi
}

ensure_venv() {
  local extras="${1:-}" spec="." stamp python
  [ -n "$extras" ] && spec=".[$extras]"
  if [ ! -x "$PY" ]; then
    python="$(base_python)" || { echo "Python 3.11+ is required (apt-get install python3)"; exit 1; }
    say "Creating virtualenv in .venv from $python"
    "$python" -m venv "$VENV"
  fi
  stamp="$VENV/.installed-$(cat "$ROOT/pyproject.toml" "$ROOT/requirements.lock" | sha256sum | cut -c1-16)-${extras:-base}"
  if [ ! -f "$stamp" ]; then
    say "Installing the project and its pinned dependencies"
    "$PY" -m pip install -q --upgrade pip
    "$PY" -m pip install -q -c "$ROOT/requirements.lock" -e "$ROOT$([ -n "$extras" ] && echo "[$extras]")"
    touch "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}
