#!/usr/bin/env bash
# Debian packages the tests drive: headless Chromium for the dashboard test, promtool (Debian's
# prometheus package: bookworm ships 2.42 and stable only takes fixes) for the alert rules.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-system-tools: please install: ${need[*]} (apt-get install ${need[*]})" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "system tools: $(chromium --version 2>/dev/null || echo 'chromium missing')," \
  "$(promtool --version 2>&1 | head -1 || echo 'promtool missing')"
