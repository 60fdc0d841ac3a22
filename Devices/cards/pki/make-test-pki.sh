#!/bin/sh
# Generates the TEST-ONLY PKI of the simulated CCCD cards (Devices/cards/*.json):
#   a test CSCA and a test document signer (DS), both ECDSA brainpoolP384r1 with SHA-256, and a test RSA-2048
#   Active Authentication key for DG15. Nothing here is a real Vietnamese key; never trust it outside tests.
# The outputs are committed so tests and CI need not run this; re-run only to rotate them:
#   sh Devices/cards/pki/make-test-pki.sh
set -eu
cd "$(dirname "$0")"
days_csca=7300
days_ds=3650
conf=$(mktemp)
trap 'rm -f "$conf" ds.csr' EXIT
cat >"$conf" <<'CONF'
[ ds ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CONF

# CSCA: self-signed.
openssl ecparam -name brainpoolP384r1 -genkey -noout -out csca-brainpoolP384r1-TEST-ONLY.key.pem
openssl req -new -x509 -sha256 -days "$days_csca" -key csca-brainpoolP384r1-TEST-ONLY.key.pem \
    -subj "/C=VN/O=TEST ONLY issuance-station/CN=TEST CSCA VNM (not a real CSCA)" \
    -set_serial 1 -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out csca-TEST-ONLY.cert.pem

# Document signer, signed by the CSCA.
openssl ecparam -name brainpoolP384r1 -genkey -noout -out ds-brainpoolP384r1-TEST-ONLY.key.pem
openssl req -new -sha256 -key ds-brainpoolP384r1-TEST-ONLY.key.pem \
    -subj "/C=VN/O=TEST ONLY issuance-station/CN=TEST Document Signer VNM 01" -out ds.csr
openssl x509 -req -sha256 -days "$days_ds" -in ds.csr -CA csca-TEST-ONLY.cert.pem \
    -CAkey csca-brainpoolP384r1-TEST-ONLY.key.pem -set_serial 4097 -extfile "$conf" -extensions ds \
    -out ds-TEST-ONLY.cert.pem

# Active Authentication key (DG15 carries its public key).
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out aa-rsa2048-TEST-ONLY.key.pem

# DER forms the card builder loads (libcrypto's d2i_AutoPrivateKey takes PKCS#8 DER).
openssl pkcs8 -topk8 -nocrypt -in ds-brainpoolP384r1-TEST-ONLY.key.pem -outform DER \
    -out ds-brainpoolP384r1-TEST-ONLY.key.der
openssl x509 -in ds-TEST-ONLY.cert.pem -outform DER -out ds-TEST-ONLY.cert.der
openssl x509 -in csca-TEST-ONLY.cert.pem -outform DER -out csca-TEST-ONLY.cert.der
openssl pkey -in aa-rsa2048-TEST-ONLY.key.pem -pubout -outform DER -out aa-rsa2048-TEST-ONLY.pub.der

chmod 644 ./*.pem ./*.der
openssl verify -CAfile csca-TEST-ONLY.cert.pem ds-TEST-ONLY.cert.pem
