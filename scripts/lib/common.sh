# Shared by scripts/*: paths, logging, and installing what is missing with apt.
# Everything a run creates lives under $TALLY_VAR (default: <repo>/var, git-ignored).
set -euo pipefail

TALLY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TALLY_VAR="${TALLY_VAR:-$TALLY_ROOT/var}"
TALLY_VENV="${TALLY_VENV:-$TALLY_ROOT/.venv}"
TALLY_PYTHON="${TALLY_PYTHON:-python3.11}"
mkdir -p "$TALLY_VAR/log" "$TALLY_VAR/run"

say()  { printf '%s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# True when the process in pid file $1 is alive (a killed one its parent has not reaped yet,
# a zombie, is not: right after a kill -9 it still answers kill -0).
pid_alive() {
    [ -f "$1" ] || return 1
    local state
    state="$(ps -o stat= -p "$(cat "$1")" 2>/dev/null)" || return 1
    [ -n "$state" ] && [ "${state:0:1}" != Z ]
}

_apt_updated=""
# apt_install PKG... : installs the Debian packages that are not installed yet.
apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        die "apt-get is not available: install ${missing[*]} by hand (Debian/Ubuntu package names), or point the settings at existing services"
    fi
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ -z "$_apt_updated" ]; then
        say "apt-get update"
        $sudo apt-get update -qq >"$TALLY_VAR/log/apt.log" 2>&1 || die "apt-get update failed, see $TALLY_VAR/log/apt.log"
        _apt_updated=1
    fi
    say "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        >>"$TALLY_VAR/log/apt.log" 2>&1 || die "apt-get install ${missing[*]} failed, see $TALLY_VAR/log/apt.log"
}

# The virtualenv with the tally package installed (editable, with the test extra).
ensure_venv() {
    if ! command -v "$TALLY_PYTHON" >/dev/null 2>&1; then
        die "$TALLY_PYTHON not found: Tally needs Python 3.11+ (set TALLY_PYTHON to another interpreter)"
    fi
    local stamp="$TALLY_VENV/.tally-installed"
    if [ ! -x "$TALLY_VENV/bin/python" ]; then
        say "creating virtualenv $TALLY_VENV"
        "$TALLY_PYTHON" -m venv "$TALLY_VENV"
    fi
    if [ ! -f "$stamp" ] || [ "$TALLY_ROOT/setup.cfg" -nt "$stamp" ] || [ "$TALLY_ROOT/setup.py" -nt "$stamp" ] \
            || [ "$TALLY_ROOT/pyproject.toml" -nt "$stamp" ]; then
        say "installing the tally package into $TALLY_VENV"
        "$TALLY_VENV/bin/pip" install -q -e "$TALLY_ROOT[test]" >"$TALLY_VAR/log/pip.log" 2>&1 \
            || die "pip install failed, see $TALLY_VAR/log/pip.log"
        touch "$stamp"
    fi
    export PATH="$TALLY_VENV/bin:$PATH"
}

# wait_for DESCRIPTION TIMEOUT_S COMMAND... : retries COMMAND every second until it succeeds.
wait_for() {
    local what="$1" timeout="$2"; shift 2
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 1
    done
}
