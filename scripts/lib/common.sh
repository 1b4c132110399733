# shellcheck shell=bash
# Shared by the scripts in scripts/: progress output, installing what is missing, waiting for servers.
# Sourced, never run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="$ROOT/.tools"
CURRENT_STEP=""
CURRENT_LOG=""

step() {
  CURRENT_STEP="$1"
  CURRENT_LOG="${2:-}"
  printf '==> %s\n' "$1"
}

fail() {
  local message="$1"
  printf 'error: %s\n' "$message" >&2
  [ -n "$CURRENT_STEP" ] && printf '       step: %s\n' "$CURRENT_STEP" >&2
  [ -n "$CURRENT_LOG" ] && [ -f "$CURRENT_LOG" ] && printf '       log:  %s (last lines below)\n' "$CURRENT_LOG" >&2 && tail -n 15 "$CURRENT_LOG" | sed 's/^/       | /' >&2
  exit 1
}

# as_root CMD...: runs CMD as root (directly when already root, else through sudo).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# The locks apt and dpkg hold while they work: another apt run, or unattended upgrades on a fresh machine, may
# hold them for minutes.
APT_LOCKS=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock)

# apt_lock_holder: "COMMAND (pid N) holds FILE" for the first apt or dpkg lock file a process has open, or nothing.
# apt opens these files only to lock them. (Matching /proc/locks by inode fails on overlay file systems, and
# flock(1) cannot see apt's fcntl locks.)
apt_lock_holder() {
  local file pid
  for file in "${APT_LOCKS[@]}"; do
    pid="$(find /proc/[0-9]*/fd -maxdepth 1 -lname "$file" 2>/dev/null | head -n 1 | cut -d/ -f3)"
    if [ -n "$pid" ]; then
      printf '%s (pid %s) holds %s' "$(cat "/proc/$pid/comm" 2>/dev/null || echo unknown)" "$pid" "$file"
      return 0
    fi
  done
}

APT_LOCK_TIMEOUT="${APT_LOCK_TIMEOUT:-900}"
# apt_get ARGS...: apt-get as root that waits for the package manager's locks instead of failing at once with
# "Could not get lock", printing one "waiting for apt" line with the holder. Its output goes to $APT_LOG.
apt_get() {
  local deadline=$((SECONDS + APT_LOCK_TIMEOUT)) holder said=""
  while :; do
    while holder="$(apt_lock_holder)" && [ -n "$holder" ]; do
      if [ -z "$said" ]; then printf '    waiting for apt: %s (up to %ss)\n' "$holder" "$APT_LOCK_TIMEOUT"; said=1; fi
      [ $SECONDS -ge $deadline ] && fail "apt stayed locked for ${APT_LOCK_TIMEOUT}s: $holder"
      sleep 1
    done
    # The lock may be taken between the check and apt's own attempt: apt then says so, and we wait again.
    if as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get "$@" >"$APT_LOG" 2>&1; then return 0; fi
    grep -qE 'Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock' "$APT_LOG" || return 1
    if [ -z "$said" ]; then printf '    waiting for apt: another process holds its lock (up to %ss)\n' "$APT_LOCK_TIMEOUT"; said=1; fi
    [ $SECONDS -ge $deadline ] && fail "apt stayed locked for ${APT_LOCK_TIMEOUT}s"
    sleep 1
  done
}

APT_UPDATED=""
# ensure_apt PACKAGE:COMMAND ...: installs each Debian package whose command is missing.
ensure_apt() {
  local missing=() pair package command
  for pair in "$@"; do
    package="${pair%%:*}"
    command="${pair#*:}"
    command -v "$command" >/dev/null 2>&1 || [ -x "/usr/sbin/$command" ] || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  step "Installing Debian packages: ${missing[*]}"
  APT_LOG="$(mktemp)"
  if [ -z "$APT_UPDATED" ]; then
    apt_get update -qq || { CURRENT_LOG="$APT_LOG"; fail "apt-get update failed; check the network and apt sources"; }
    APT_UPDATED=1
  fi
  # RUNLEVEL=1 keeps the packages' own services from starting: every server here runs under our control.
  apt_get install -y -qq --no-install-recommends "${missing[@]}" || { CURRENT_LOG="$APT_LOG"; fail "apt-get install failed for: ${missing[*]}"; }
  rm -f "$APT_LOG"
}

# ensure_s3_server: the npm S3 server (s3rver) in a git-ignored folder, at the version deploy/s3/package.json pins.
ensure_s3_server() {
  local wanted installed
  wanted="$(sed -n 's/.*"s3rver": *"\([^"]*\)".*/\1/p' "$ROOT/deploy/s3/package.json")"
  installed="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$TOOLS/s3/node_modules/s3rver/package.json" 2>/dev/null | head -n 1 || true)"
  [ "$installed" = "$wanted" ] && return 0
  command -v npm >/dev/null 2>&1 || ensure_apt npm:npm
  step "Installing the S3 server (npm s3rver $wanted)"
  mkdir -p "$TOOLS/s3"
  cp "$ROOT/deploy/s3/package.json" "$TOOLS/s3/package.json"
  local log="$TOOLS/s3/npm-install.log"
  (cd "$TOOLS/s3" && npm install --no-audit --no-fund --omit=dev >"$log" 2>&1) || { CURRENT_LOG="$log"; fail "npm install of s3rver@$wanted failed"; }
}

ensure_dotnet() {
  command -v dotnet >/dev/null 2>&1 || fail "the .NET 10 SDK is required (dotnet not found on PATH)"
}

# wait_for DESCRIPTION SECONDS CMD...: polls CMD every 0.1 s until it succeeds or SECONDS pass.
wait_for() {
  local description="$1" seconds="$2"; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && fail "$description did not happen within ${seconds}s"
    sleep 0.1
  done
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# port_owner PORT: the process listening on PORT, for error messages.
port_owner() {
  ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | head -n 1
}

require_free_port() {
  if port_in_use "$1"; then
    fail "port $1 ($2) is already in use by ${3:-$(port_owner "$1")}; stop that process or free the port"
  fi
}

random_secret() {
  head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32
}
