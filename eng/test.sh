#!/usr/bin/env bash
# Runs every test: unit, integration (real Azurite + the simulator), infra template tests.
# Installs what it needs (the pinned Azurite from package-lock.json; Chromium + chromedriver when missing) and ends with "N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if [ ! -x node_modules/.bin/azurite ]; then
  echo "Installing the pinned Azurite (npm ci)…"
  npm ci --no-audit --no-fund --loglevel=error || exit 1
fi

# The web page test drives headless Chromium: install Debian's chromium + chromium-driver when either is missing.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "Installing Chromium and its driver for the web page test (apt-get install chromium chromium-driver)…"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
      || echo "Could not install Chromium: the web page test will fail. Install chromium and chromium-driver yourself." >&2
  else
    echo "No apt-get here: install Chromium and chromedriver yourself, or the web page test will fail." >&2
  fi
fi

results="$root/TestResults"
rm -rf "$results"
dotnet test Functions.sln -c Release --logger "trx" --results-directory "$results" "$@"
status=$?

passed=0; failed=0; skipped=0; files=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
if [ "$files" -eq 0 ]; then
  echo "No test results were written." >&2
  [ "$status" -ne 0 ] || status=1
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The run failed without a failed test (build error, crashed test host): count it.
  failed=1
fi
echo "$skipped skipped, in $files result files"
echo "$passed passed, $failed failed"
exit "$status"
