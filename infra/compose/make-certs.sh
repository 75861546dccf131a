#!/bin/sh
# mTLS material for infra/compose.yaml: a CA, the Temporal server's certificate, and one
# client certificate per component that talks to Temporal, each in its own folder so each
# service mounts only its own key. Run once from infra/ before `docker compose up`:
#   sh compose/make-certs.sh            (writes ./tls, keeps what exists)
# Production uses the organisation's PKI or cert-manager instead (docs/containers.md).
set -eu
out="${1:-tls}"
days=397
clients="worker-control worker-packaging worker-gb01 worker-se01 worker-dk01 worker-nl01 setup temporal-ui"
umask 077
mkdir -p "$out/ca"
if [ ! -f "$out/ca/ca.key" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=dsar-temporal-ca" -keyout "$out/ca/ca.key" -out "$out/ca/ca.pem"
fi
issue() { # name, extension
  dir="$out/$1"
  [ -f "$dir/tls.crt" ] && return 0
  mkdir -p "$dir"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1/O=dsar" \
    -keyout "$dir/tls.key" -out "$dir/tls.csr"
  printf '%s\n' "$2" > "$dir/ext.cnf"
  openssl x509 -req -in "$dir/tls.csr" -CA "$out/ca/ca.pem" -CAkey "$out/ca/ca.key" \
    -CAcreateserial -days "$days" -extfile "$dir/ext.cnf" -out "$dir/tls.crt"
  cp "$out/ca/ca.pem" "$dir/ca.crt"
  rm -f "$dir/tls.csr" "$dir/ext.cnf"
}
issue temporal "subjectAltName=DNS:temporal,DNS:localhost
extendedKeyUsage=serverAuth,clientAuth"
for name in $clients; do
  issue "$name" "extendedKeyUsage=clientAuth"
done
# The images run as their own users: readable keys, isolated by mount (one folder each).
chmod 0644 "$out"/*/tls.key "$out"/*/tls.crt "$out"/*/ca.crt
echo "certificates in $out: ca, temporal, $clients"
