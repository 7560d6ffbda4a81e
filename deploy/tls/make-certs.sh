#!/usr/bin/env bash
# Makes the TLS material of a MallBots NATS cluster with openssl: a private CA and one server
# certificate for every node (client and cluster connections), valid for the host names given
# plus localhost and 127.0.0.1.
#   bash deploy/tls/make-certs.sh OUT_DIR nats-1.mall nats-2.mall nats-3.mall
# Writes OUT_DIR/ca.pem (give it to central and to every device: `tls_ca`, MALLBOTS__NATS__TLS_CA),
# OUT_DIR/ca-key.pem (keep it offline), OUT_DIR/server.pem and OUT_DIR/server-key.pem (the
# nodes'). Keys are mode 0600. An existing CA is reused (new server certificates, same trust).
set -euo pipefail
[ $# -ge 1 ] || { sed -n 2,8p "$0"; exit 2; }
out="$1"; shift
mkdir -p "$out"
umask 077
days=825
if [ ! -f "$out/ca.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=MallBots NATS CA" \
    -keyout "$out/ca-key.pem" -out "$out/ca.pem" 2>/dev/null
fi
san="DNS:localhost,IP:127.0.0.1"
for host in "$@"; do san="$san,DNS:$host"; done
openssl req -newkey rsa:2048 -nodes -subj "/CN=${1:-localhost}" \
  -keyout "$out/server-key.pem" -out "$out/server.csr" 2>/dev/null
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" > "$out/server.ext"
openssl x509 -req -in "$out/server.csr" -CA "$out/ca.pem" -CAkey "$out/ca-key.pem" \
  -CAcreateserial -days "$days" -extfile "$out/server.ext" -out "$out/server.pem" 2>/dev/null
rm -f "$out/server.csr" "$out/server.ext" "$out/ca.srl"
chmod 644 "$out/ca.pem" "$out/server.pem"
echo "made $out/ca.pem and $out/server.pem for: localhost 127.0.0.1 $*"
