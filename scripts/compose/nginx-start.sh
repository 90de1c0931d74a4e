#!/bin/sh
# The nginx container's entrypoint, before the image's own. With the `ha` profile a second app
# instance (`app-2`) runs beside `app`; it starts with it, and nginx only after `app` is healthy,
# so its name resolves by now. nginx resolves upstream names once, at start: both go into the
# upstream then, and any instance serves any session (README, Scaling out).
set -eu
if getent hosts app-2 >/dev/null 2>&1; then
  export NGINX_UPSTREAM_SERVERS="server app:3000; server app-2:3000;"
fi
echo "nginx-start: upstream $NGINX_UPSTREAM_SERVERS"
exec /docker-entrypoint.sh "$@"
