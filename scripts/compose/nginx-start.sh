#!/bin/sh
# The nginx container's entrypoint, before the image's own. With the `ha` profile a second app
# instance (`app-2`) runs beside `app`; it starts with it, and nginx only after `app` is healthy,
# so its name resolves by now. nginx resolves upstream names once, at start: both go into the
# upstream then, and any instance serves any session (docs/operations.md, Scaling out).
set -eu
if getent hosts app-2 >/dev/null 2>&1; then
  export NGINX_UPSTREAM_SERVERS="server app:3000; server app-2:3000;"
fi
echo "nginx-start: upstream $NGINX_UPSTREAM_SERVERS"
# worker_connections lives in the image's /etc/nginx/nginx.conf (`events {}`), out of the
# template's reach: 4096 instead of the image's 1024, as the stack sets it (why: the template's
# header). `nginx -g` sets only top-level directives (the open files for these connections,
# worker_rlimit_nofile, are in docker-compose.yml's command), so this one is edited here; should
# a new image's file not have the line, nginx does not start.
sed -i 's/^\([[:space:]]*worker_connections\)[[:space:]]\{1,\}[0-9]\{1,\};/\1 4096;/' /etc/nginx/nginx.conf
if ! grep -q '^[[:space:]]*worker_connections 4096;' /etc/nginx/nginx.conf; then
  echo "nginx-start: no worker_connections line to set in /etc/nginx/nginx.conf" >&2
  exit 1
fi
exec /docker-entrypoint.sh "$@"
