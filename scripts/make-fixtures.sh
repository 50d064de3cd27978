#!/usr/bin/env bash
# Regenerates every test certificate under test/fixtures/pkcs12 from OpenSSL 3 and Java keytool.
# Tests only read the committed files; run this when a fixture must change (keys are new each run).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/test/fixtures/pkcs12"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

command -v openssl >/dev/null || { echo "openssl não encontrado" >&2; exit 1; }
command -v keytool >/dev/null || { echo "keytool não encontrado (instale um JDK)" >&2; exit 1; }
case "$(openssl version)" in "OpenSSL 3."*) ;; *) echo "é preciso OpenSSL 3" >&2; exit 1 ;; esac

ACCENTED='Senha@çã1'
ASCII='senha123'
FRIENDLY='Prefeitura Municipal de São José'

# --- The wrong kind of certificate, and BER files (`--kinds` makes only these, from the committed CA) ----------
# ber_indefinite IN OUT: the same PFX written as Windows and Java write BER — indefinite lengths on the PFX and its
# authSafe, the authSafe content as a constructed OCTET STRING in 1000-byte pieces. The MAC covers the content
# octets, which do not change.
ber_indefinite() {
  node -e '
    const fs = require("node:fs");
    const der = fs.readFileSync(process.argv[1]);
    const tlv = (b, at) => {
      const first = b[at + 1];
      if (first < 0x80) return { start: at + 2, end: at + 2 + first };
      const n = first & 0x7f;
      const length = b.readUIntBE(at + 2, n);
      return { start: at + 2 + n, end: at + 2 + n + length };
    };
    const hdr = (tag, len) => len < 0x80 ? Buffer.from([tag, len]) : Buffer.from([tag, 0x82, len >> 8, len & 0xff]);
    const eoc = Buffer.from([0, 0]);
    const pfx = tlv(der, 0);
    const version = tlv(der, pfx.start);
    const authSafe = tlv(der, version.end);
    const type = tlv(der, authSafe.start);
    const explicit = tlv(der, type.end);
    const data = tlv(der, explicit.start);
    const content = der.subarray(data.start, data.end);
    const pieces = [];
    for (let at = 0; at < content.length; at += 1000) {
      const piece = content.subarray(at, at + 1000);
      pieces.push(hdr(0x04, piece.length), piece);
    }
    fs.writeFileSync(process.argv[2], Buffer.concat([
      Buffer.from([0x30, 0x80]), der.subarray(pfx.start, version.end),
      Buffer.from([0x30, 0x80]), der.subarray(authSafe.start, type.end),
      Buffer.from([0xa0, 0x80, 0x24, 0x80]), ...pieces, eoc, eoc, eoc,
      der.subarray(authSafe.end, pfx.end), eoc,
    ]));
  ' "$1" "$2"
}

make_kinds() {
  mkdir -p "$OUT/kinds"
  local ca="$OUT/ca/intermediate.pem" cakey="$OUT/ca/intermediate-key.pem"
  cat > kinds.cnf <<'CNF'
[ server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:esus.municipio.gov.br
# ICP-Brasil e-CPF shape: the holder's birth date + CPF + NIS + RG + issuer (3.1), CEI (3.6), título de eleitor (3.5).
[ ecpf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation, keyEncipherment
extendedKeyUsage = clientAuth, emailProtection
subjectAltName = otherName:2.16.76.1.3.1;OCTETSTRING:150319801234567890900000000000000000000000000000SSPSP, otherName:2.16.76.1.3.6;OCTETSTRING:000000000000, otherName:2.16.76.1.3.5;OCTETSTRING:0000000000000000000, email:maria@teste.gov.br
[ other_root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
[ other_leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
CNF
  local sign=(openssl x509 -req -days 9000 -sha256 -extfile kinds.cnf)
  # PEC's HTTPS keystore as community recipes make it: a server certificate for the municipality's PEC address.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out server-kind-key.pem 2>/dev/null
  openssl req -new -key server-kind-key.pem -subj "/C=BR/O=Prefeitura Municipal de Teste/CN=esus.municipio.gov.br" -out server-kind.csr
  "${sign[@]}" -extensions server -CA "$ca" -CAkey "$cakey" -in server-kind.csr -out server-kind.pem 2>/dev/null
  openssl pkcs12 -export -inkey server-kind-key.pem -in server-kind.pem -certfile "$OUT/ca/chain.pem" -name esus \
    -passout "pass:$ASCII" -out "$OUT/kinds/keystore.p12"
  # A person's e-CPF (ICP-Brasil shape: O=ICP-Brasil, CN NOME:CPF, otherName 2.16.76.1.3.1), no CNPJ.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ecpf-key.pem 2>/dev/null
  openssl req -new -utf8 -key ecpf-key.pem \
    -subj "/C=BR/O=ICP-Brasil/OU=Secretaria da Receita Federal do Brasil - RFB/OU=RFB e-CPF A1/OU=Teste pec-rnds/CN=MARIA DA SILVA TESTE:12345678909" -out ecpf.csr
  "${sign[@]}" -extensions ecpf -CA "$ca" -CAkey "$cakey" -in ecpf.csr -out ecpf.pem 2>/dev/null
  openssl pkcs12 -export -inkey ecpf-key.pem -in ecpf.pem -certfile "$OUT/ca/chain.pem" -passout "pass:$ASCII" -out "$OUT/kinds/e-cpf.p12"
  # A client certificate from a commercial CA outside ICP-Brasil (no O=ICP-Brasil, no 2.16.76.1 fields or policies).
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other-root-key.pem 2>/dev/null
  openssl req -new -x509 -days 9000 -key other-root-key.pem -subj "/C=US/O=Exemplo Certificadora Comercial/CN=Exemplo CA Comercial de Teste" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out other-root.pem
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other-leaf-key.pem 2>/dev/null
  openssl req -new -key other-leaf-key.pem -subj "/C=BR/O=Prefeitura Municipal de Teste/CN=Prefeitura Municipal de Teste" -out other-leaf.csr
  "${sign[@]}" -extensions other_leaf -CA other-root.pem -CAkey other-root-key.pem -in other-leaf.csr -out other-leaf.pem 2>/dev/null
  openssl pkcs12 -export -inkey other-leaf-key.pem -in other-leaf.pem -certfile other-root.pem -legacy -passout "pass:$ASCII" -out "$OUT/kinds/fora-icp.pfx"
  # The standard files again, in BER with indefinite lengths (still ready in chaves, still opening).
  ber_indefinite "$OUT/aes256-default.p12" "$OUT/ber-indefinite.p12"
  ber_indefinite "$OUT/legacy-rc2-3des.pfx" "$OUT/ber-indefinite-legacy.pfx"
  chmod -R u=rwX,go=rX "$OUT/kinds" "$OUT"/ber-indefinite*
}

if [ "${1:-}" = "--kinds" ]; then
  cd "$WORK"
  make_kinds
  echo "Certificados de outro tipo gerados em $OUT/kinds"
  exit 0
fi

rm -rf "$OUT"
mkdir -p "$OUT/ca" "$OUT/not-pkcs12"
cd "$WORK"

# --- A two-level test CA (openssl ca lets us pick past and future validity dates) -------------
for ca in root int; do mkdir -p "$ca/new"; : > "$ca/index.txt"; done
cat > ca.cnf <<CNF
[ req ]
distinguished_name = dn
string_mask = utf8only
utf8 = yes
[ dn ]

[ root_ca ]
dir = $WORK/root
database = \$dir/index.txt
new_certs_dir = \$dir/new
rand_serial = yes
default_md = sha256
policy = policy_any
preserve = yes
unique_subject = no
email_in_dn = no
copy_extensions = none
[ int_ca ]
dir = $WORK/int
database = \$dir/index.txt
new_certs_dir = \$dir/new
rand_serial = yes
default_md = sha256
policy = policy_any
preserve = yes
unique_subject = no
email_in_dn = no
copy_extensions = none
[ policy_any ]
countryName = optional
stateOrProvinceName = optional
localityName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied

[ v3_root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_int ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

# ICP-Brasil e-CNPJ shape: responsible person's birth date + CPF (3.4), name (3.2), CNPJ (3.3), CEI (3.7).
[ v3_ee ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation, keyEncipherment
extendedKeyUsage = clientAuth, emailProtection
subjectAltName = @san_main
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ san_main ]
otherName.1 = 2.16.76.1.3.4;OCTETSTRING:150319801234567890900000000000000000123456789SSPSP
otherName.2 = 2.16.76.1.3.2;OCTETSTRING:JOSÉ DA SILVA TESTE
otherName.3 = 2.16.76.1.3.3;OCTETSTRING:12345678000190
otherName.4 = 2.16.76.1.3.7;OCTETSTRING:000000000000
email.1 = ti@teste.gov.br

[ v3_ee_alnum ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectAltName = @san_alnum
[ san_alnum ]
otherName.1 = 2.16.76.1.3.4;PRINTABLESTRING:010119701111111111100000000000000000000000000000000000
otherName.2 = 2.16.76.1.3.2;UTF8:MARIA DE ALMEIDA
otherName.3 = 2.16.76.1.3.3;PRINTABLESTRING:12ABC34501DE35

[ v3_ee_noclient ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = emailProtection
subjectAltName = @san_main
CNF

OSSL_CA() { openssl ca -batch -config ca.cnf -notext "$@" 2>/dev/null; }
rsa() { openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$1" -out "$2" 2>/dev/null; }
ec() { openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$1" -pkeyopt ec_param_enc:named_curve -out "$2"; }
csr() { openssl req -new -config ca.cnf -utf8 -key "$1" -subj "$2" -out "$3"; }

rsa 2048 root-key.pem
csr root-key.pem "/C=BR/O=pec-rnds teste/CN=AC Raiz de Teste pec-rnds" root.csr
OSSL_CA -name root_ca -selfsign -keyfile root-key.pem -in root.csr -out root.pem \
  -startdate 20200101000000Z -enddate 20991231235959Z -extensions v3_root

rsa 2048 int-key.pem
csr int-key.pem "/C=BR/O=pec-rnds teste/CN=AC Intermediária de Teste pec-rnds" int.csr
OSSL_CA -name root_ca -cert root.pem -keyfile root-key.pem -in int.csr -out int.pem \
  -startdate 20200101000000Z -enddate 20991231235959Z -extensions v3_int

rsa 2048 server-key.pem
csr server-key.pem "/C=BR/O=pec-rnds teste/CN=localhost" server.csr
OSSL_CA -name int_ca -cert int.pem -keyfile int-key.pem -in server.csr -out server.pem \
  -startdate 20200101000000Z -enddate 20491231235959Z -extensions v3_server

SUBJECT_PREFIX="/C=BR/O=ICP-Brasil/ST=SP/L=São Paulo/OU=Secretaria da Receita Federal do Brasil - RFB/OU=RFB e-CNPJ A1/OU=Teste pec-rnds"
MAIN_SUBJECT="$SUBJECT_PREFIX/CN=PREFEITURA MUNICIPAL DE TESTE:12345678000190"

# leaf NAME KEYCMD SUBJECT EXTENSIONS START END
leaf() {
  local name="$1" keygen="$2" subject="$3" ext="$4" start="$5" end="$6"
  eval "$keygen $name-key.pem"
  csr "$name-key.pem" "$subject" "$name.csr"
  OSSL_CA -name int_ca -cert int.pem -keyfile int-key.pem -in "$name.csr" -out "$name.pem" \
    -startdate "$start" -enddate "$end" -extensions "$ext"
}
GOOD_FROM=20200101000000Z
GOOD_TO=20491231235959Z
leaf main     "rsa 2048"   "$MAIN_SUBJECT" v3_ee "$GOOD_FROM" "$GOOD_TO"
leaf rsa4096  "rsa 4096"   "$MAIN_SUBJECT" v3_ee "$GOOD_FROM" "$GOOD_TO"
leaf ec256    "ec P-256"   "$MAIN_SUBJECT" v3_ee "$GOOD_FROM" "$GOOD_TO"
leaf ec384    "ec P-384"   "$MAIN_SUBJECT" v3_ee "$GOOD_FROM" "$GOOD_TO"
leaf alnum    "rsa 2048"   "$SUBJECT_PREFIX/CN=EMPRESA ALFANUMERICA LTDA:12ABC34501DE35" v3_ee_alnum "$GOOD_FROM" "$GOOD_TO"
leaf noclient "rsa 2048"   "$MAIN_SUBJECT" v3_ee_noclient "$GOOD_FROM" "$GOOD_TO"
# Expires 2021-01-01 02:00 UTC = 31/12/2020 23:00 in Brasília: messages must say 31/12/2020.
leaf expired  "rsa 2048"   "$MAIN_SUBJECT" v3_ee 20200101000000Z 20210101020000Z
leaf notyet   "rsa 2048"   "$MAIN_SUBJECT" v3_ee 20900101000000Z 20950101000000Z
leaf other    "rsa 2048"   "$SUBJECT_PREFIX/CN=OUTRA PREFEITURA:98765432000198" v3_ee "$GOOD_FROM" "$GOOD_TO"

cat int.pem root.pem > chain.pem
cat root.pem int.pem > chain-reversed.pem

cp root.pem "$OUT/ca/root.pem"; cp root-key.pem "$OUT/ca/root-key.pem"
cp int.pem "$OUT/ca/intermediate.pem"; cp int-key.pem "$OUT/ca/intermediate-key.pem"
cp chain.pem "$OUT/ca/chain.pem"
cp server.pem "$OUT/ca/server.pem"; cp server-key.pem "$OUT/ca/server-key.pem"
cp main.pem "$OUT/ca/client.pem"; cp main-key.pem "$OUT/ca/client-key.pem"

# --- PKCS#12 files ----------------------------------------------------------------------------
# p12 OUTFILE LEAF PASSWORD [openssl pkcs12 options…]
p12() {
  local file="$1" name="$2" pass="$3"; shift 3
  openssl pkcs12 -export -inkey "$name-key.pem" -in "$name.pem" -certfile chain.pem \
    -passout "pass:$pass" -out "$OUT/$file" "$@"
}
p12 aes256-default.p12      main "$ACCENTED" -name "$FRIENDLY"
p12 legacy-rc2-3des.pfx     main "$ACCENTED" -name "$FRIENDLY" -legacy
p12 aes128.p12              main "$ASCII" -certpbe AES-128-CBC -keypbe AES-128-CBC
p12 mac-sha512.p12          main "$ACCENTED" -macalg sha512
p12 3des-3des.pfx           main "$ACCENTED" -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1
p12 certs-unencrypted.p12   main "$ASCII" -certpbe NONE
p12 no-mac-aes.p12          main "$ACCENTED" -nomac
p12 no-mac-legacy.pfx       main "$ASCII" -legacy -nomac
p12 empty-password-aes.p12  main ""
p12 empty-password-legacy.pfx main "" -legacy
p12 rsa4096.p12             rsa4096 "$ASCII"
p12 ec-p256.p12             ec256 "$ACCENTED"
p12 ec-p384-legacy.pfx      ec384 "$ACCENTED" -legacy
p12 alnum-cnpj.p12          alnum "$ASCII"
p12 no-client-auth.p12      noclient "$ASCII"
p12 expired.p12             expired "$ASCII"
p12 not-yet-valid.p12       notyet "$ASCII"
p12 iter-600k.p12           main "$ASCII" -iter 600000
p12 iter-150k.p12           main "$ASCII" -iter 150000
p12 mac-sha224.p12          main "$ASCII" -macalg sha224
p12 mac-sha3-256.p12        main "$ASCII" -macalg sha3-256
p12 camellia256.p12         main "$ASCII" -certpbe CAMELLIA-256-CBC -keypbe CAMELLIA-256-CBC
p12 rc4-key.p12             main "$ASCII" -legacy -keypbe PBE-SHA1-RC4-128

# Bags in reverse order (root, intermediate, leaf): -nocerts + -certfile keeps the file's order.
cat root.pem int.pem main.pem > reversed-all.pem
openssl pkcs12 -export -nocerts -inkey main-key.pem -certfile reversed-all.pem \
  -passout "pass:$ASCII" -out "$OUT/chain-reversed.p12" 2>/dev/null
# A key next to certificates that are not its own.
cat other.pem chain.pem > other-all.pem
openssl pkcs12 -export -nocerts -inkey main-key.pem -certfile other-all.pem \
  -passout "pass:$ASCII" -out "$OUT/key-mismatch.p12" 2>/dev/null
openssl pkcs12 -export -nocerts -inkey main-key.pem -passout "pass:$ASCII" -out "$OUT/key-only.p12" 2>/dev/null
openssl pkcs12 -export -nokeys -in main.pem -certfile chain.pem -passout "pass:$ASCII" -out "$OUT/cert-only.p12"

# Java keytool re-encodes a keystore with its own defaults (PBES2 AES-256, 10 000 iterations).
p12 src-rsa.p12 main "$ASCII" -name rnds
p12 src-ec.p12  ec256 "$ASCII" -name rnds
for kind in rsa ec; do
  keytool -importkeystore -noprompt -srckeystore "$OUT/src-$kind.p12" -srcstoretype PKCS12 \
    -srcstorepass "$ASCII" -destkeystore "$OUT/keytool-$kind.p12" -deststoretype PKCS12 \
    -deststorepass "$ASCII" >/dev/null 2>&1
  rm "$OUT/src-$kind.p12"
done

make_kinds

# --- Files that are not PKCS#12 ----------------------------------------------------------------
openssl x509 -in main.pem -outform DER -out "$OUT/not-pkcs12/certificado.cer"
cp main.pem "$OUT/not-pkcs12/certificado.pem"
cat main-key.pem main.pem > "$OUT/not-pkcs12/chave-e-certificado.pem"
openssl rand -out "$OUT/not-pkcs12/aleatorio.pfx" 2048
head -c 1200 "$OUT/aes256-default.p12" > "$OUT/not-pkcs12/truncado.pfx"
: > "$OUT/not-pkcs12/vazio.pfx"

# --- Certificate-related files the chaves folder lists as "unusable", each with its own reason ----------
cp main-key.pem "$OUT/not-pkcs12/chave.key"
openssl req -new -key main-key.pem -subj "/CN=PREFEITURA MUNICIPAL DE TESTE" -out "$OUT/not-pkcs12/pedido.csr"
openssl crl2pkcs7 -nocrl -certfile main.pem -certfile "$OUT/ca/chain.pem" -outform DER -out "$OUT/not-pkcs12/cadeia.p7b"
keytool -importkeystore -noprompt -srckeystore "$OUT/keytool-rsa.p12" -srcstoretype PKCS12 -srcstorepass "$ASCII" \
  -destkeystore "$OUT/not-pkcs12/municipio.jks" -deststoretype JKS -deststorepass "$ASCII" -destkeypass "$ASCII" >/dev/null 2>&1
if command -v zip >/dev/null; then
  cp "$OUT/aes256-default.p12" municipio.pfx && zip -q -X "$OUT/not-pkcs12/municipio.zip" municipio.pfx && rm municipio.pfx
fi

cat > "$OUT/manifest.json" <<'JSON'
{
  "description": "Test PKCS#12 files made by scripts/make-fixtures.sh (OpenSSL 3 + keytool). Paths are relative to this folder. Valid certificates run 2020-01-01 to 2049-12-31; the CA to 2099.",
  "standard": { "legacy": "legacy-rc2-3des.pfx", "aes": "aes256-default.p12" },
  "passwords": { "accented": "Senha@çã1", "ascii": "senha123", "empty": "" },
  "ca": {
    "root": "ca/root.pem", "rootKey": "ca/root-key.pem",
    "intermediate": "ca/intermediate.pem", "intermediateKey": "ca/intermediate-key.pem",
    "chain": "ca/chain.pem",
    "serverCert": "ca/server.pem", "serverKey": "ca/server-key.pem", "serverNames": ["localhost", "127.0.0.1"],
    "clientCert": "ca/client.pem", "clientKey": "ca/client-key.pem"
  },
  "fixtures": [
    { "file": "aes256-default.p12", "password": "Senha@çã1", "error": null, "encoding": "AES-256-CBC (PBKDF2-SHA256, MAC SHA-256)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": "Prefeitura Municipal de São José", "chainLength": 2, "nativeLoads": true, "note": "OpenSSL 3 default export; the standard good AES file" },
    { "file": "legacy-rc2-3des.pfx", "password": "Senha@çã1", "error": null, "encoding": "legado (RC2-40 + 3DES, MAC SHA-1)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": "Prefeitura Municipal de São José", "chainLength": 2, "nativeLoads": false, "note": "openssl -legacy (Windows / older ICP-Brasil shape); the standard good legacy file" },
    { "file": "aes128.p12", "password": "senha123", "error": null, "encoding": "AES-128-CBC (PBKDF2-SHA256, MAC SHA-256)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": null, "chainLength": 2, "nativeLoads": true },
    { "file": "mac-sha512.p12", "password": "Senha@çã1", "error": null, "encoding": "AES-256-CBC (PBKDF2-SHA256, MAC SHA-512)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": null, "chainLength": 2, "nativeLoads": true },
    { "file": "3des-3des.pfx", "password": "Senha@çã1", "error": null, "encoding": "3DES (MAC SHA-1)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": null, "chainLength": 2, "nativeLoads": true },
    { "file": "certs-unencrypted.p12", "password": "senha123", "error": null, "encoding": "AES-256-CBC (PBKDF2-SHA256, certificados sem cifra, MAC SHA-256)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": null, "chainLength": 2, "nativeLoads": true },
    { "file": "no-mac-aes.p12", "password": "Senha@çã1", "error": null, "encoding": "AES-256-CBC (PBKDF2-SHA256, certificados sem cifra, sem MAC)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": null, "chainLength": 2, "nativeLoads": true, "note": "-nomac: OpenSSL then also leaves the certificates unencrypted" },
    { "file": "no-mac-legacy.pfx", "password": "senha123", "error": null, "encoding": "3DES (certificados sem cifra, sem MAC)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": null, "chainLength": 2, "nativeLoads": true },
    { "file": "empty-password-aes.p12", "password": "", "error": null, "encoding": "AES-256-CBC (PBKDF2-SHA256, MAC SHA-256)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": null, "chainLength": 2, "nativeLoads": true },
    { "file": "empty-password-legacy.pfx", "password": "", "error": null, "encoding": "legado (RC2-40 + 3DES, MAC SHA-1)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": null, "chainLength": 2, "nativeLoads": false },
    { "file": "rsa4096.p12", "password": "senha123", "error": null, "encoding": "AES-256-CBC (PBKDF2-SHA256, MAC SHA-256)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 4096, "curve": null, "clientAuth": true, "friendlyName": null, "chainLength": 2, "nativeLoads": true },
    { "file": "ec-p256.p12", "password": "Senha@çã1", "error": null, "encoding": "AES-256-CBC (PBKDF2-SHA256, MAC SHA-256)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "EC", "keySize": 256, "curve": "P-256", "clientAuth": true, "friendlyName": null, "chainLength": 2, "nativeLoads": true },
    { "file": "ec-p384-legacy.pfx", "password": "Senha@çã1", "error": null, "encoding": "legado (RC2-40 + 3DES, MAC SHA-1)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "EC", "keySize": 384, "curve": "P-384", "clientAuth": true, "friendlyName": null, "chainLength": 2, "nativeLoads": false },
    { "file": "keytool-rsa.p12", "password": "senha123", "error": null, "encoding": "AES-256-CBC (PBKDF2-SHA256, MAC SHA-256)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": "rnds", "chainLength": 2, "nativeLoads": true, "note": "Java keytool PKCS12 (10 000 iterations, key bag before the certificates)" },
    { "file": "keytool-ec.p12", "password": "senha123", "error": null, "encoding": "AES-256-CBC (PBKDF2-SHA256, MAC SHA-256)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "EC", "keySize": 256, "curve": "P-256", "clientAuth": true, "friendlyName": "rnds", "chainLength": 2, "nativeLoads": true },
    { "file": "chain-reversed.p12", "password": "senha123", "error": null, "encoding": "AES-256-CBC (PBKDF2-SHA256, MAC SHA-256)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": null, "chainLength": 2, "nativeLoads": true, "note": "bags: root, intermediate, then the end-entity certificate" },
    { "file": "alnum-cnpj.p12", "password": "senha123", "error": null, "encoding": "AES-256-CBC (PBKDF2-SHA256, MAC SHA-256)", "commonName": "EMPRESA ALFANUMERICA LTDA:12ABC34501DE35", "razaoSocial": "EMPRESA ALFANUMERICA LTDA", "cnpj": "12ABC34501DE35", "responsibleName": "MARIA DE ALMEIDA", "responsibleCpf": "11111111111", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": null, "chainLength": 2, "nativeLoads": true, "note": "new alphanumeric CNPJ, otherName values as PrintableString/UTF8String" },
    { "file": "no-client-auth.p12", "password": "senha123", "error": null, "encoding": "AES-256-CBC (PBKDF2-SHA256, MAC SHA-256)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": false, "friendlyName": null, "chainLength": 2, "nativeLoads": true, "note": "extendedKeyUsage emailProtection only" },
    { "file": "mac-sha224.p12", "password": "senha123", "error": null, "encoding": "AES-256-CBC (PBKDF2-SHA256, MAC SHA-224)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": null, "chainLength": 2, "nativeLoads": true, "note": "MAC forge lacks; node:crypto runs it" },
    { "file": "mac-sha3-256.p12", "password": "senha123", "error": null, "encoding": "AES-256-CBC (PBKDF2-SHA256, MAC SHA3-256)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": null, "chainLength": 2, "nativeLoads": true, "note": "MAC forge lacks; node:crypto runs it" },
    { "file": "camellia256.p12", "password": "senha123", "error": null, "encoding": "Camellia-256-CBC (PBKDF2-SHA256, MAC SHA-256)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": null, "chainLength": 2, "nativeLoads": true, "note": "cipher forge lacks; node:crypto runs it" },
    { "file": "iter-150k.p12", "password": "senha123", "error": null, "encoding": "AES-256-CBC (PBKDF2-SHA256, MAC SHA-256)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": null, "chainLength": 2, "nativeLoads": true, "note": "150 000 iterations: under the default cap, slow enough to show the worker keeps the event loop free" },
    { "file": "ber-indefinite.p12", "password": "Senha@çã1", "error": null, "encoding": "AES-256-CBC (PBKDF2-SHA256, MAC SHA-256)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": "Prefeitura Municipal de São José", "chainLength": 2, "nativeLoads": true, "note": "aes256-default.p12 in BER: indefinite lengths, authSafe as a constructed OCTET STRING (Windows/Java shape)" },
    { "file": "ber-indefinite-legacy.pfx", "password": "Senha@çã1", "error": null, "encoding": "legado (RC2-40 + 3DES, MAC SHA-1)", "commonName": "PREFEITURA MUNICIPAL DE TESTE:12345678000190", "razaoSocial": "PREFEITURA MUNICIPAL DE TESTE", "cnpj": "12345678000190", "responsibleName": "JOSÉ DA SILVA TESTE", "responsibleCpf": "12345678909", "keyType": "RSA", "keySize": 2048, "curve": null, "clientAuth": true, "friendlyName": "Prefeitura Municipal de São José", "chainLength": 2, "nativeLoads": false, "note": "legacy-rc2-3des.pfx in BER, indefinite lengths" },
    { "file": "expired.p12", "password": "senha123", "error": "CERTIFICATE_EXPIRED", "note": "notAfter 2021-01-01T02:00:00Z = 31/12/2020 in Brasília; opens with checkValidity false" },
    { "file": "not-yet-valid.p12", "password": "senha123", "error": "CERTIFICATE_NOT_YET_VALID", "note": "notBefore 2090-01-01" },
    { "file": "iter-600k.p12", "password": "senha123", "error": "TOO_EXPENSIVE", "note": "600 000 iterations (MAC and both bags)" },
    { "file": "rc4-key.p12", "password": "senha123", "error": "UNSUPPORTED_CERTIFICATE", "note": "key bag pbeWithSHAAnd128BitRC4: the message names RC4-128" },
    { "file": "cert-only.p12", "password": "senha123", "error": "NO_PRIVATE_KEY" },
    { "file": "key-mismatch.p12", "password": "senha123", "error": "KEY_MISMATCH", "note": "the key of the standard files next to another end-entity certificate" },
    { "file": "key-only.p12", "password": "senha123", "error": "KEY_MISMATCH", "note": "a key and no certificate at all" },
    { "file": "not-pkcs12/certificado.cer", "password": "senha123", "error": "INVALID_CERTIFICATE", "note": "DER certificate (.cer)" },
    { "file": "not-pkcs12/certificado.pem", "password": "senha123", "error": "INVALID_CERTIFICATE", "note": "PEM certificate" },
    { "file": "not-pkcs12/chave-e-certificado.pem", "password": "senha123", "error": "INVALID_CERTIFICATE", "note": "PEM key + certificate" },
    { "file": "not-pkcs12/aleatorio.pfx", "password": "senha123", "error": "INVALID_CERTIFICATE", "note": "2 KiB of random bytes" },
    { "file": "not-pkcs12/truncado.pfx", "password": "Senha@çã1", "error": "INVALID_CERTIFICATE", "note": "first 1200 bytes of aes256-default.p12" },
    { "file": "not-pkcs12/vazio.pfx", "password": "senha123", "error": "INVALID_CERTIFICATE", "note": "empty file" }
  ],
  "kinds": [
    { "file": "kinds/keystore.p12", "password": "senha123", "warnings": ["SERVER_CERTIFICATE", "AES_FOR_OLD_JAVA"], "note": "PEC's HTTPS keystore: serverAuth only, DNS:esus.municipio.gov.br, no CNPJ" },
    { "file": "kinds/e-cpf.p12", "password": "senha123", "warnings": ["PERSONAL_CERTIFICATE", "AES_FOR_OLD_JAVA"], "note": "a person's e-CPF: O=ICP-Brasil, CN NOME:CPF, otherName 2.16.76.1.3.1, no CNPJ" },
    { "file": "kinds/fora-icp.pfx", "password": "senha123", "warnings": ["OUTSIDE_ICP_BRASIL"], "note": "clientAuth certificate from a commercial CA outside ICP-Brasil, -legacy" }
  ]
}
JSON
chmod -R u=rwX,go=rX "$OUT"
echo "Fixtures geradas em $OUT"
