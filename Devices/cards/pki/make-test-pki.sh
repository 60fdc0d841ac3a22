#!/bin/sh
# Generates the TEST-ONLY PKI of the simulated CCCD cards (Devices/cards/*.json):
#   a test CSCA and a test document signer (DS), both ECDSA brainpoolP384r1 with SHA-256, and a test RSA-2048
#   Active Authentication key for DG15. Nothing here is a real Vietnamese key; never trust it outside tests.
# The outputs are committed so tests and CI need not run this; re-run only to rotate them:
#   sh Devices/cards/pki/make-test-pki.sh
# Negative-case folders (same layout, usable with `stationd simulate card --pki DIR`), made from the committed CSCA:
#   trust/           only the test CSCA certificate: the folder for `--trust` (genuine chain)
#   untrusted-csca/  a SECOND test CSCA and a DS it signed (chain untrusted against trust/)
#   expired-ds/      a DS signed by the test CSCA, valid from the CSCA's start until one minute before this run
#                    (issued while the CSCA was valid, expired now: the "expired document signer" case)
# Regenerate only those (keeping the main CSCA/DS): sh Devices/cards/pki/make-test-pki.sh negative
#   masterlist-TEST-ONLY.ml  an ICAO CSCA master list (CMS, content type 2.23.136.1.1.2) holding only the test CSCA,
#                            signed by it: what the stand-in central delivers through the status sync.
# Regenerate only it: sh Devices/cards/pki/make-test-pki.sh masterlist
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

# The test master list: CscaMasterList { version 0, certList SET { test CSCA } }, signed by the test CSCA.
der_length() {
    if [ "$1" -lt 128 ]; then printf '%02x' "$1"; elif [ "$1" -lt 256 ]; then printf '81%02x' "$1"
    else printf '82%04x' "$1"; fi
}
make_master_list() {
    certificate=$(od -An -v -tx1 csca-TEST-ONLY.cert.der | tr -d ' \n')
    set_of="31$(der_length $((${#certificate} / 2)))$certificate"
    body="020100$set_of"
    printf '%s' "30$(der_length $((${#body} / 2)))$body" | xxd -r -p >masterlist-content.der
    openssl cms -sign -nodetach -binary -econtent_type 2.23.136.1.1.2 -md sha256 -in masterlist-content.der \
        -signer csca-TEST-ONLY.cert.pem -inkey csca-brainpoolP384r1-TEST-ONLY.key.pem -outform DER \
        -out masterlist-TEST-ONLY.ml
    rm -f masterlist-content.der
    chmod 644 masterlist-TEST-ONLY.ml
}
if [ "${1:-}" = masterlist ]; then
    make_master_list
    exit 0
fi

if [ "${1:-}" != negative ]; then

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
fi

# --- negative-case folders ---
mkdir -p trust untrusted-csca expired-ds
cp csca-TEST-ONLY.cert.der trust/csca-TEST-ONLY.cert.der
for dir in untrusted-csca expired-ds; do cp aa-rsa2048-TEST-ONLY.pub.der "$dir/"; done

# A second, untrusted CSCA and its DS.
openssl ecparam -name brainpoolP384r1 -genkey -noout -out untrusted-csca/csca2-brainpoolP384r1-TEST-ONLY.key.pem
openssl req -new -x509 -sha256 -days "$days_csca" -key untrusted-csca/csca2-brainpoolP384r1-TEST-ONLY.key.pem \
    -subj "/C=VN/O=TEST ONLY issuance-station/CN=TEST UNTRUSTED CSCA (not a real CSCA)" \
    -set_serial 2 -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out untrusted-csca/csca2-TEST-ONLY.cert.pem
openssl ecparam -name brainpoolP384r1 -genkey -noout -out untrusted-csca/ds.key.pem
openssl req -new -sha256 -key untrusted-csca/ds.key.pem \
    -subj "/C=VN/O=TEST ONLY issuance-station/CN=TEST Document Signer of the untrusted CSCA" -out ds.csr
openssl x509 -req -sha256 -days "$days_ds" -in ds.csr -CA untrusted-csca/csca2-TEST-ONLY.cert.pem \
    -CAkey untrusted-csca/csca2-brainpoolP384r1-TEST-ONLY.key.pem -set_serial 8193 -extfile "$conf" \
    -extensions ds -out untrusted-csca/ds-TEST-ONLY.cert.pem

# An expired DS, signed by the test CSCA with `openssl ca` (explicit dates): from the CSCA's notBefore until one
# minute ago (GNU date; if the CSCA is younger than that, one minute after its start).
csca_start=$(openssl x509 -in csca-TEST-ONLY.cert.pem -noout -startdate | cut -d= -f2)
ds_start=$(date -u -d "$csca_start" +%Y%m%d%H%M%SZ)
ds_end=$(date -u -d "1 minute ago" +%Y%m%d%H%M%SZ)
if [ "$(date -u -d "1 minute ago" +%s)" -le "$(date -u -d "$csca_start" +%s)" ]; then
    ds_end=$(date -u -d "$csca_start + 1 minute" +%Y%m%d%H%M%SZ)
fi
ca_dir=$(mktemp -d)
touch "$ca_dir/index.txt"
echo 1003 >"$ca_dir/serial"
cat >"$ca_dir/ca.conf" <<CACONF
[ ca ]
default_ca = test
[ test ]
database = $ca_dir/index.txt
new_certs_dir = $ca_dir
serial = $ca_dir/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[ any ]
countryName = optional
organizationName = optional
commonName = supplied
[ ds ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CACONF
openssl ecparam -name brainpoolP384r1 -genkey -noout -out expired-ds/ds.key.pem
openssl req -new -sha256 -key expired-ds/ds.key.pem \
    -subj "/C=VN/O=TEST ONLY issuance-station/CN=TEST Document Signer VNM EXPIRED" -out ds.csr
openssl ca -batch -config "$ca_dir/ca.conf" -extensions ds -startdate "$ds_start" -enddate "$ds_end" \
    -cert csca-TEST-ONLY.cert.pem -keyfile csca-brainpoolP384r1-TEST-ONLY.key.pem -notext -in ds.csr \
    -out expired-ds/ds-TEST-ONLY.cert.pem
rm -rf "$ca_dir"

for dir in untrusted-csca expired-ds; do
    openssl pkcs8 -topk8 -nocrypt -in "$dir/ds.key.pem" -outform DER -out "$dir/ds-brainpoolP384r1-TEST-ONLY.key.der"
    openssl x509 -in "$dir/ds-TEST-ONLY.cert.pem" -outform DER -out "$dir/ds-TEST-ONLY.cert.der"
    rm -f "$dir/ds.key.pem"
done
chmod 644 trust/* untrusted-csca/* expired-ds/*
make_master_list
