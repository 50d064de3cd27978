/**
 * How servers that are not the RNDS double refuse a client certificate, read through the real token request: real
 * nginx with `ssl_verify_client on` (it finishes the handshake and answers a 400 page, no TLS alert) and a Node
 * server that checks the certificate in the application and answers 403, as Tomcat/Spring Security and IIS do, and
 * OpenSSL's TLS 1.3 "certificate required" alert after the handshake.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConnection, type ConnectionTestInput } from '../../../module/rnds/index.js';
import { createRndsTestPki, type RndsTestPki, type TestCertificate } from '../../doubles/pki.js';
import { nginxConf, start, which, type Started } from '../../deploy/support.js';
import { waitForListening } from '../../support/wait.js';

const nginx = which('nginx');
const DAY_MS = 24 * 60 * 60 * 1000;

let pki: RndsTestPki;
beforeAll(() => {
  pki = createRndsTestPki();
});

function key(): { pem: string; forgeKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.PublicKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { pem: privateKey, forgeKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey, publicKey: forge.pki.publicKeyFromPem(publicKey) };
}

/**
 * A certificate signed by `issuer` (PEM certificate and key): an intermediate CA when `ca`, else a client leaf. As
 * ICP-Brasil does: the municipality's A1 certificate comes from an intermediate CA under the trusted root.
 */
function sign(issuer: { certPem: string; keyPem: string }, commonName: string, ca: boolean): { certPem: string; keyPem: string } {
  const subjectKey = key();
  const issuerCert = forge.pki.certificateFromPem(issuer.certPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = subjectKey.publicKey;
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(Date.now() - DAY_MS);
  cert.validity.notAfter = new Date(Date.now() + 365 * DAY_MS);
  cert.setSubject([
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'pec-rnds testes' },
    { name: 'countryName', value: 'BR' },
  ]);
  cert.setIssuer(issuerCert.subject.attributes);
  cert.setExtensions(
    ca
      ? [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
          { name: 'subjectKeyIdentifier' },
        ]
      : [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
          { name: 'extKeyUsage', clientAuth: true },
        ],
  );
  cert.sign(forge.pki.privateKeyFromPem(issuer.keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: subjectKey.pem };
}

function input(authUrl: string, certificate: TestCertificate): ConnectionTestInput {
  return { certificate, environment: 'homologacao', authUrl, ca: pki.serverCa.certPem, timeoutMs: 20_000, connectTimeoutMs: 20_000 };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(!nginx)('nginx with ssl_verify_client on in front of the token', () => {
  let dir: string;
  let proxy: Started;
  let url: string;
  let chained: TestCertificate;
  let chainless: TestCertificate;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pec-rnds-mtls-nginx-'));
    fs.chmodSync(dir, 0o755);
    // The municipality's certificate comes from an intermediate CA; nginx trusts only the root (pki.clientCa).
    const intermediate = sign(pki.clientCa, 'AC Intermediaria de Teste', true);
    const leaf = sign(intermediate, 'MUNICIPIO DE TESTE:12345678000190', false);
    const x509 = forge.pki.certificateFromPem(leaf.certPem);
    const base = { keyPem: leaf.keyPem, certPem: leaf.certPem, notBefore: x509.validity.notBefore, notAfter: x509.validity.notAfter, commonName: 'MUNICIPIO DE TESTE:12345678000190' };
    chained = { ...base, chainPem: [intermediate.certPem] };
    chainless = { ...base, chainPem: [] };

    fs.writeFileSync(path.join(dir, 'server.pem'), pki.server.certPem);
    fs.writeFileSync(path.join(dir, 'server.key'), pki.server.keyPem);
    fs.writeFileSync(path.join(dir, 'client-ca.pem'), pki.clientCa.certPem);
    const port = await freePort();
    fs.writeFileSync(
      path.join(dir, 'nginx.conf'),
      nginxConf(
        dir,
        `  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${dir}/server.pem;
    ssl_certificate_key ${dir}/server.key;
    ssl_client_certificate ${dir}/client-ca.pem;
    ssl_verify_client on;
    ssl_verify_depth 3;
    location = /api/token {
      default_type application/json;
      return 200 '{"access_token":"token-do-nginx","expires_in":1800000}';
    }
  }
`,
      ),
    );
    proxy = start(nginx!, ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;']);
    await waitForListening(port);
    url = `https://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await proxy?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('when the certificate comes with its chain up to the trusted root, then nginx hands out the token (the setup works)', async () => {
    const direct = await testConnection(input(url, pki.clients.good));
    const viaIntermediate = await testConnection(input(url, chained));

    expect(direct.status).toBe('ok');
    expect(viaIntermediate.status).toBe('ok');
  });

  it('when the certificate comes from a CA nginx does not trust, then its "400 The SSL certificate error" is "Falha no certificado" with the certificate\'s fix, failed at the certificate step', async () => {
    const connection = await testConnection(input(url, pki.clients.untrusted));

    expect(connection).toMatchObject({ status: 'certificate-failure', message: 'Falha no certificado' });
    expect(connection.detail).toMatch(/^O servidor da RNDS recusou o certificado \(HTTP 400, certificado não aceito/);
    expect(connection.detail).toContain('ATIVA no e-Gestor AB');
    expect(connection.detail).toContain('cadeia completa');
    expect(connection.detail).not.toMatch(/confira o endereço/);
    expect(connection.steps?.at(-1)).toMatchObject({ step: 'client-certificate', ok: false, detail: 'HTTP 400' });
    expect((connection.steps ?? []).filter((s) => !s.ok)).toHaveLength(1);
  });

  it('when the certificate is sent without its intermediate CA (a .pfx without the chain), then it is "Falha no certificado" saying to export it with the chain', async () => {
    const connection = await testConnection(input(url, chainless));

    expect(connection.status).toBe('certificate-failure');
    expect(connection.detail).toContain('exporte-o de novo com a cadeia completa');
    expect(connection.steps?.at(-1)).toMatchObject({ step: 'client-certificate', ok: false });
  });
});

describe('a server that checks the certificate in the application (Tomcat, Spring Security, IIS)', () => {
  let server: https.Server;
  let url: string;

  beforeAll(async () => {
    // requestCert without rejectUnauthorized: the handshake always ends well; the application answers 403.
    server = https.createServer(
      { key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.clientCa.certPem, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const socket = req.socket as import('node:tls').TLSSocket;
        if (!socket.authorized) {
          res.writeHead(403, { 'content-type': 'text/html' }).end('<h1>HTTP Status 403 – Forbidden</h1>');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"token-da-aplicacao","expires_in":1800000}');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('when the application refuses an untrusted certificate with 403, then it is "Falha no certificado"; a trusted one gets the token', async () => {
    const refused = await testConnection(input(url, pki.clients.untrusted));
    const accepted = await testConnection(input(url, pki.clients.good));

    expect(refused).toMatchObject({ status: 'certificate-failure', message: 'Falha no certificado' });
    expect(refused.detail).toContain('HTTP 403');
    expect(accepted.status).toBe('ok');
  });
});

describe.skipIf(!which('openssl'))('a TLS 1.3 server that asks for a certificate the client cannot send (openssl s_server)', () => {
  let dir: string;
  let server: Started;
  let url: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pec-rnds-mtls-openssl-'));
    fs.writeFileSync(path.join(dir, 'server.pem'), pki.server.certPem);
    fs.writeFileSync(path.join(dir, 'server.key'), pki.server.keyPem);
    fs.writeFileSync(path.join(dir, 'client-ca.pem'), pki.clientCa.certPem);
    const port = await freePort();
    // It accepts only ECDSA client signatures: the RSA certificate cannot be offered, the client sends none, and the
    // server answers with the "certificate required" alert after the handshake (as Envoy, Java or Apache do).
    server = start(which('openssl')!, [
      's_server', '-accept', `127.0.0.1:${port}`, '-cert', path.join(dir, 'server.pem'), '-key', path.join(dir, 'server.key'),
      '-CAfile', path.join(dir, 'client-ca.pem'), '-Verify', '2', '-verify_return_error', '-client_sigalgs', 'ECDSA+SHA256', '-www',
    ]);
    await server.waitFor(/ACCEPT/);
    url = `https://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('when the alert arrives after the handshake, then it is "Falha no certificado" at the certificate step', async () => {
    const connection = await testConnection(input(url, pki.clients.good));

    expect(connection).toMatchObject({ status: 'certificate-failure', message: 'Falha no certificado' });
    expect(connection.detail).toContain('exige um certificado');
    expect(connection.steps?.at(-1)).toMatchObject({ step: 'client-certificate', ok: false, detail: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
  });
});
