import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPkcs12 } from '../../../module/certificates/index.js';
import { caFile, standardLegacy } from '../../support/fixtures.js';

/** A local HTTPS server that, like RNDS, only talks to clients with a certificate from its CA. */
let server: https.Server;
let port: number;

beforeAll(async () => {
  server = https.createServer(
    {
      key: caFile('serverKey'),
      cert: caFile('serverCert') + caFile('intermediate'),
      ca: [caFile('root')],
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const peer = (req.socket as tls.TLSSocket).getPeerCertificate();
      res.end(JSON.stringify({ cn: peer.subject.CN }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function get(clientOptions: https.RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: '/api/token', servername: 'localhost', ca: [caFile('root')], agent: false, ...clientOptions },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('mutual TLS with the engine output', () => {
  it("when a legacy RC2 file is given to Node's own pfx loader, then Node refuses it", () => {
    const { bytes, password } = standardLegacy();

    expect(() => tls.createSecureContext({ pfx: bytes, passphrase: password })).toThrow();
  });

  it('when the same legacy file is opened by the engine, then its PEM key and chain pass a mutual-TLS handshake', async () => {
    const { bytes, password } = standardLegacy();
    const opened = openPkcs12(bytes, password);

    const response = await get({ key: opened.keyPem, cert: opened.certPem + opened.chainPem.join('') });

    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ cn: 'PREFEITURA MUNICIPAL DE TESTE:12345678000190' });
  });

  it('when a client brings no certificate, then the same server refuses the handshake', async () => {
    await expect(get({})).rejects.toThrow();
  });
});
