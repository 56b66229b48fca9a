#!/usr/bin/env bash
# nginx from Debian's packages, for the test that runs the CLI through a TLS-terminating reverse
# proxy (crates/perry/tests/tls.rs). The test starts its own nginx on a free port with a config
# of its own; the package's service is kept from starting (it would take port 80).
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
command -v nginx >/dev/null 2>&1 && exit 0
[ "$(id -u)" = 0 ] || { echo "ensure-nginx: nginx is missing and we are not root" >&2; exit 1; }
echo "ensure-nginx: installing nginx" >&2
# invoke-rc.d asks policy-rc.d whether to start services; 101 means no. Only for this install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends nginx >/dev/null
