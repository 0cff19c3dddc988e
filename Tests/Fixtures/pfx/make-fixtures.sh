#!/usr/bin/env bash
# Makes the PKCS#12 fixtures the file-certificate checks' examples use. They are committed (small, and
# fixed so that examples are repeatable); run this again only to change them. Needs openssl 3 and python3
# with the cryptography package (only for the one file OpenSSL refuses to build: a key that does not
# belong to its certificate).
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pw="$work/pw"
printf '123456' >"$pw"
gateway=F000504Y0007

cat >"$work/ca.cnf" <<CNF
[ca]
default_ca = test_ca
[test_ca]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
organizationName = optional
countryName = optional
[leaf]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
CNF
: >"$work/index.txt"
echo 1000 >"$work/serial"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" -days 10950 \
  -subj "/C=CN/O=Certdoctor Test/CN=Certdoctor Test CA" 2>/dev/null

# issue NAME CN START END: a key and a certificate signed by the test CA, valid from START to END.
issue() {
  openssl req -newkey rsa:2048 -nodes -keyout "$work/$1.key" -out "$work/$1.csr" \
    -subj "/C=CN/O=Certdoctor Test Securities/CN=$2" 2>/dev/null
  openssl ca -batch -config "$work/ca.cnf" -cert "$work/ca.pem" -keyfile "$work/ca.key" -extensions leaf \
    -startdate "$3" -enddate "$4" -in "$work/$1.csr" -out "$work/$1.pem" 2>/dev/null
}
# export NAME OUT [openssl options…]: PKCS#12 of NAME's key and certificate with the CA in the chain.
export_p12() {
  local name=$1 out=$2
  shift 2
  mkdir -p "$(dirname "$out")"
  openssl pkcs12 -export -inkey "$work/$name.key" -in "$work/$name.pem" -certfile "$work/ca.pem" \
    -name "$gateway" -passout "file:$pw" -out "$out" "$@"
}
win7=(-keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1)

issue good "$gateway" 20240101000000Z 20491231235959Z
issue expired "$gateway" 20200101000000Z 20211231235959Z
issue future "$gateway" 20990101000000Z 20991231235959Z
issue other "F000111A0001" 20240101000000Z 20491231235959Z

export_p12 good "good-aes/$gateway#0.pfx"
export_p12 good "good-3des/$gateway#0.pfx" "${win7[@]}"
export_p12 good "legacy-rc2/$gateway#0.pfx" -legacy
export_p12 good "no-suffix/$gateway.pfx" "${win7[@]}"
export_p12 good "chinese-name/网关证书.pfx" "${win7[@]}"
export_p12 expired "expired/$gateway#0.pfx" "${win7[@]}"
export_p12 future "not-yet-valid/$gateway#0.pfx" "${win7[@]}"
export_p12 other "other-gateway/$gateway#0.pfx" "${win7[@]}"
# The friendly name inside the file names another gateway.
mkdir -p friendly-mismatch
openssl pkcs12 -export -inkey "$work/good.key" -in "$work/good.pem" -name "F000999Z0001" \
  -passout "file:$pw" -out "friendly-mismatch/$gateway#0.pfx" "${win7[@]}"

mkdir -p truncated random pem trailing-garbage no-key mismatched-key
head -c 1500 "good-3des/$gateway#0.pfx" >"truncated/$gateway#0.pfx"
head -c 2048 /dev/urandom >"random/$gateway#0.pfx"
cat "$work/good.pem" "$work/good.key" >"pem/$gateway#0.pfx"
{ cat "good-3des/$gateway#0.pfx"; printf 'trailing bytes after the PKCS#12 structure'; } >"trailing-garbage/$gateway#0.pfx"
openssl pkcs12 -export -nokeys -in "$work/good.pem" -name "$gateway" -passout "file:$pw" \
  -out "no-key/$gateway#0.pfx" "${win7[@]}"

# The openssl command, the cryptography package and PKCS12_create all refuse to pair a certificate with a key
# that is not its own; the bag-level calls do not check, so assemble the file from them directly.
python3 - "$work/good.pem" "$work/other.key" "mismatched-key/$gateway#0.pfx" <<'PY'
import ctypes, sys
c = ctypes.CDLL("libcrypto.so.3")
P = ctypes.c_void_p
def fn(name, res, *args):
    f = getattr(c, name); f.restype = res; f.argtypes = list(args); return f
bio_file = fn("BIO_new_file", P, ctypes.c_char_p, ctypes.c_char_p)
read_cert = fn("PEM_read_bio_X509", P, P, P, P, P)
read_key = fn("PEM_read_bio_PrivateKey", P, P, P, P, P)
add_cert = fn("PKCS12_add_cert", P, ctypes.POINTER(P), P)
add_key = fn("PKCS12_add_key", P, ctypes.POINTER(P), P, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_char_p)
add_safe = fn("PKCS12_add_safe", ctypes.c_int, ctypes.POINTER(P), P, ctypes.c_int, ctypes.c_int, ctypes.c_char_p)
add_safes = fn("PKCS12_add_safes", P, P, ctypes.c_int)
set_mac = fn("PKCS12_set_mac", ctypes.c_int, P, ctypes.c_char_p, ctypes.c_int, P, ctypes.c_int, ctypes.c_int, P)
sha1 = fn("EVP_sha1", P)
write = fn("i2d_PKCS12_bio", ctypes.c_int, P, P)
free_bio = fn("BIO_free", ctypes.c_int, P)
cert = read_cert(bio_file(sys.argv[1].encode(), b"r"), None, None, None)
key = read_key(bio_file(sys.argv[2].encode(), b"r"), None, None, None)
pw, nid_3des = b"123456", 146  # NID_pbe_WithSHA1And3_Key_TripleDES_CBC
cert_bags, key_bags, safes = P(), P(), P()
assert add_cert(ctypes.byref(cert_bags), cert) and add_key(ctypes.byref(key_bags), key, 0, 2048, nid_3des, pw)
assert add_safe(ctypes.byref(safes), cert_bags, nid_3des, 2048, pw) and add_safe(ctypes.byref(safes), key_bags, -1, 0, None)
p12 = add_safes(safes, 0)
assert p12 and set_mac(p12, pw, -1, None, 0, 2048, sha1()) == 1
out = bio_file(sys.argv[3].encode(), b"wb")
assert write(out, p12) == 1
free_bio(out)
PY
cp "$work/ca.pem" test-ca.pem
echo "fixtures written"
