#!/bin/sh
# Runs in the nginx container before nginx starts (the official image runs every executable
# /docker-entrypoint.d/*.sh), as root. Creates the self-signed certificate for localhost that
# nginx serves, in $NGINX_CERT_DIR (a volume), the first time only: a private key is never
# committed, and every installation gets its own.
#
# The pair is kept across restarts, because browsers remember the exception you accepted and
# clients that pin the certificate keep working. It is replaced only when it is missing or about
# to expire. `docker compose down -v` deletes the volume and, with it, the certificate.
set -eu

dir=${NGINX_CERT_DIR:?NGINX_CERT_DIR must name the directory for cert.pem and key.pem}
cert=$dir/cert.pem
key=$dir/key.pem

if [ -s "$cert" ] && [ -s "$key" ] && openssl x509 -checkend 86400 -noout -in "$cert" >/dev/null; then
  echo "$0: using the certificate in $dir"
  exit 0
fi

mkdir -p "$dir"
# The key is readable by root only: the nginx master process (root) loads it before it starts
# the workers as the unprivileged `nginx` user, so the workers never need the file.
umask 077
# Written into a temporary directory and moved into place, so that an interrupted start never
# leaves half a pair behind for the next start to trust.
tmp=$(mktemp -d "$dir/.new.XXXXXX")
# EC P-256: small, fast, accepted by every current client. The names are the ones the browser
# uses (https://localhost:8443, or 127.0.0.1). A leaf, not a CA (CA:FALSE): clients trust it by
# pinning it or by an exception for this site, never as an authority that could sign others.
# 365 days stays within the 398-day limit browsers apply to server certificates.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
  -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -addext "basicConstraints=critical,CA:FALSE" \
  -addext "keyUsage=critical,digitalSignature" \
  -addext "extendedKeyUsage=serverAuth" \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem"
chmod 644 "$tmp/cert.pem"
mv "$tmp/key.pem" "$key"
mv "$tmp/cert.pem" "$cert"
rmdir "$tmp"

echo "$0: created a self-signed certificate for localhost in $dir"
openssl x509 -noout -fingerprint -sha256 -in "$cert" | sed "s|^|$0: |"
