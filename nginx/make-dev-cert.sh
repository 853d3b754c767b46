#!/usr/bin/env bash
# A self-signed certificate for local HTTPS (docker-compose, tests): nginx/certs/dev.{crt,key}.
# Browsers will warn; never use it outside your machine.
set -euo pipefail
dir=${1:-"$(dirname "$0")/certs"}
mkdir -p "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 825 \
  -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$dir/dev.key" -out "$dir/dev.crt" 2>/dev/null
chmod 600 "$dir/dev.key"
echo "wrote $dir/dev.crt and $dir/dev.key"
