import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import request from 'supertest';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildPkcs12, createTestCertificate, createTestIssuer, type TestCertificate } from '../../scripts/lib/test-certificate.js';
import { openPkcs12 } from '../../module/certificates/index.js';
import { AuditTrail, generateContraChave } from '../../module/state/index.js';
import { BASE, bearer, loggedIn, startHarness, type Harness } from '../support/harness.js';
import type { Status } from '../../module/types.js';

/**
 * The renewal scan is no password oracle (issue 20 §1): whoever can write to the chaves folder drops files protected
 * by guesses, and nothing anyone can read — Status, certificates, the screen, /metrics, the audit trail, the log, the
 * event stream — differs between "the stored password opened one of them" and "it opened none", unless the file is a
 * certificate proven to come from the enabled one's CA. Real PKCS#12 files without a MAC, a real watched folder, the
 * real worker; each scenario is compared with the same scenario where every password is wrong.
 */
const PASSWORD = 'Senha#Guardada1';
const GUESSES = 60;
/** The guess that is right (its file sorts among the first the scan opens). */
const RIGHT = 3;

let contraChave: string;
let current: TestCertificate; // the enabled one: expires in 20 days
let genuine: TestCertificate; // its renewal: same CA, same CNPJ, a year later
/** Same CNPJ and a later expiry, signed by another CA that has the real CA's name. */
let lookAlike: { keyDer: Buffer; certsDer: Buffer[] };
/** Same CNPJ and a later expiry, self-signed. */
let selfSigned: { keyDer: Buffer; certsDer: Buffer[] };
let h: Harness | undefined;

function material(cert: TestCertificate, password: string): { keyDer: Buffer; certsDer: Buffer[] } {
  const opened = openPkcs12(cert.pfx, password);
  return {
    keyDer: createPrivateKey(opened.keyPem).export({ type: 'pkcs8', format: 'der' }),
    certsDer: [opened.certPem, ...opened.chainPem].map((pem) => new X509Certificate(pem).raw),
  };
}

/** A PKCS#12 without a MAC around `m`, protected by `password`: what an attacker writes for each guess. */
function pack(m: { keyDer: Buffer; certsDer: Buffer[] }, password: string): Buffer {
  return buildPkcs12({ keyPkcs8Der: m.keyDer, certsDer: m.certsDer, password, friendlyName: 'MUNICIPIO DE TESTE (TESTE)', encoding: 'aes', iterations: 2048, mac: false });
}

beforeAll(() => {
  contraChave = generateContraChave();
  const ca = createTestIssuer();
  current = createTestCertificate({ password: PASSWORD, days: 20, issuer: ca });
  genuine = createTestCertificate({ password: PASSWORD, days: 380, issuer: ca });
  const rogueCa = createTestIssuer({ subject: ca.cert.subject.attributes });
  lookAlike = material(createTestCertificate({ password: PASSWORD, days: 380, issuer: rogueCa, authorityKeyIdentifier: false }), PASSWORD);
  selfSigned = material(createTestCertificate({ password: PASSWORD, days: 380, issuer: 'self' }), PASSWORD);
  expect(genuine.cnpj).toBe(current.cnpj);
  // The look-alike names the real CA as its issuer: only the signature tells them apart.
  expect(new X509Certificate(lookAlike.certsDer[0]!).issuer).toBe(new X509Certificate(current.caPem).subject);
});

afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Resolves when the Status satisfies `predicate`, on the module's own change events. */
function until(harness: Harness, predicate: (s: Status) => boolean): Promise<Status> {
  return new Promise((resolve) => {
    const check = () => {
      const status = harness.rnds.status();
      if (!predicate(status)) return;
      off();
      resolve(status);
    };
    const off = harness.rnds.onChange(check);
    check();
  });
}

/** Writes a file into the chaves folder as a finished copy does: a temp name, then a rename. */
function put(harness: Harness, name: string, bytes: Buffer): void {
  const temp = path.join(harness.root, `${name}.tmp`);
  fs.writeFileSync(temp, bytes);
  fs.renameSync(temp, path.join(harness.chavesDir, name));
}

interface Stream {
  frames: string[];
  next(predicate: (frame: string) => boolean): Promise<string>;
  close(): void;
}

/** The screen's event stream, read over a real socket. */
function openStream(port: number): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `${BASE}/api/events`, headers: { Accept: 'text/event-stream', ...bearer }, agent: false });
    req.once('error', reject);
    req.once('response', (res) => {
      const frames: string[] = [];
      const waiters = new Set<{ predicate: (f: string) => boolean; resolve: (f: string) => void }>();
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
          const frame = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          if (!frame.includes('data:')) continue; // the retry line
          frames.push(frame);
          for (const w of waiters) {
            if (!w.predicate(frame)) continue;
            waiters.delete(w);
            w.resolve(frame);
          }
        }
      });
      resolve({
        frames,
        next: (predicate) => {
          const seen = frames.find(predicate);
          return seen !== undefined ? Promise.resolve(seen) : new Promise((r) => waiters.add({ predicate, resolve: r }));
        },
        close: () => req.destroy(),
      });
    });
  });
}

/** What can be read of the module, with what differs anyway from one run to the next (dates, hashes, tokens, paths) masked. */
interface Observed {
  status: string;
  certificates: string;
  screen: string;
  metrics: string;
  audit: string;
  logs: string;
  frames: string[];
  /** Change signals from the enable to the end of its renewal scan (the enable's own included). */
  changes: number;
  renewal: Status['renewal'];
}

function mask(harness: Harness, text: string): string {
  return text
    .split(harness.root)
    .join('<raiz>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g, '<data>')
    .replace(/[0-9a-f]{64}/g, '<sha256>')
    .replace(/(name="csrf-token" content="|name="_csrf" value="|nonce=")[^"]+"/g, '$1<token>"')
    // A fragment's version is a hash of what it shows, file hashes and dates included.
    .replace(/data-version="[^"]+"/g, 'data-version="<versão>"');
}

/** Metrics of the process itself (memory, CPU) move on their own: their values are noise, their names are kept. */
function maskMetrics(harness: Harness, text: string): string {
  return mask(harness, text)
    .split('\n')
    .map((line) => (/^(process_|nodejs_)/.test(line) ? line.replace(/ [-+0-9.e]+$/, ' <n>') : line))
    .join('\n');
}

/**
 * Starts a module, drops `files` with the enabled certificate, enables it (typed password) and lets the renewal scan
 * run over the files, then reads everything that can be read. A marker file dropped at the end closes the event
 * window: every event the scan could have caused comes before the marker's.
 */
async function observe(files: [string, Buffer][]): Promise<Observed> {
  const harness = await startHarness({ contraChave });
  h = harness;
  put(harness, 'atual.pfx', current.pfx);
  for (const [name, bytes] of files) put(harness, name, bytes);
  const names = ['atual.pfx', ...files.map(([name]) => name)];
  await until(harness, (s) => names.every((name) => s.certificates.some((e) => e.file === name && e.status === 'ready')));
  const server = http.createServer(harness.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    let changes = 0;
    const off = harness.rnds.onChange(() => void changes++);
    await request(harness.app).post(`${BASE}/api/enable`).set(bearer).send({ file: 'atual.pfx', password: PASSWORD, identificadorSolicitante: '3167' }).expect(200);
    const stream = await openStream((server.address() as AddressInfo).port);
    await stream.next(() => true);
    await harness.rnds.settled();
    const scanned = changes;
    off();
    put(harness, 'zz-marcador.pfx', Buffer.from('não é um certificado'));
    await stream.next((frame) => frame.includes('zz-marcador.pfx'));
    await harness.rnds.settled();
    stream.close();
    const get = (url: string) => request(harness.app).get(`${BASE}${url}`).set(bearer).expect(200);
    const status = await get('/api/status');
    return {
      status: mask(harness, JSON.stringify(status.body)),
      certificates: mask(harness, JSON.stringify((await get('/api/certificates')).body)),
      screen: mask(harness, (await loggedIn(harness)).page.text),
      metrics: maskMetrics(harness, (await get('/metrics')).text),
      audit: mask(harness, JSON.stringify(await new AuditTrail(harness.dataDir).read())),
      logs: mask(harness, harness.logs.join('\n')),
      frames: stream.frames.map((frame) => mask(harness, frame)),
      changes: scanned,
      renewal: status.body.renewal,
    };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

function expectSame(opened: Observed, closed: Observed): void {
  expect(opened.renewal).toBeNull();
  expect(closed.renewal).toBeNull();
  expect(opened.status).toBe(closed.status);
  expect(opened.certificates).toBe(closed.certificates);
  expect(opened.screen).toBe(closed.screen);
  expect(opened.metrics).toBe(closed.metrics);
  expect(opened.audit).toBe(closed.audit);
  expect(opened.logs).toBe(closed.logs);
  expect(opened.changes).toBe(closed.changes);
  // The stream: the frame at connection, then only the marker's (the scan caused none), the same in both.
  expect(opened.frames).toEqual(closed.frames);
  expect(opened.frames.slice(0, -1).every((frame) => frame === opened.frames[0])).toBe(true);
  for (const frame of opened.frames) expect(frame).toContain('"renewal":null');
}

const guessName = (i: number): string => `palpite-${String(i).padStart(2, '0')}.pfx`;

describe('the renewal scan is no password oracle', () => {
  it(`when ${GUESSES} files without a MAC each try one password and the right one holds a certificate of another CA with the same name and CNPJ, then nothing differs from all of them being wrong`, async () => {
    const wrong = Array.from({ length: GUESSES }, (_, i): [string, Buffer] => [guessName(i), pack(lookAlike, `Palpite#${i}`)]);
    const withRight = wrong.map(([name, bytes], i): [string, Buffer] => [name, i === RIGHT ? pack(lookAlike, PASSWORD) : bytes]);
    const opened = await observe(withRight);
    await h!.close();
    h = undefined;
    const closed = await observe(wrong);
    expectSame(opened, closed);
  });

  it('when a self-signed certificate of the same CNPJ opens with the stored password alone in the folder, then nothing differs from a wrong password; the genuine renewal dropped next is offered, not it', async () => {
    const opened = await observe([['renovado.pfx', pack(selfSigned, PASSWORD)]]);
    await h!.close();
    h = undefined;
    const closed = await observe([['renovado.pfx', pack(selfSigned, 'Palpite#errado')]]);
    expectSame(opened, closed);

    // The real renewal — same CA, same CNPJ, later expiry — is offered, next to the rogue file still in the folder.
    put(h!, 'renovado-2027.pfx', genuine.pfx);
    const offered = await until(h!, (s) => !!s.renewal);
    expect(offered.renewal).toMatchObject({ file: 'renovado-2027.pfx', certificate: { cnpj: genuine.cnpj, notAfter: genuine.notAfter.toISOString() } });
    const res = await request(h!.app).post(`${BASE}/api/renew`).set(bearer).send({ checkRnds: false }).expect(200);
    expect(res.body.enabled.file).toBe('renovado-2027.pfx');
  });
});

describe('the proof that a renewal comes from the same CA', () => {
  async function enabledWith(pfx: Buffer): Promise<Harness> {
    const harness = await startHarness({ contraChave });
    h = harness;
    put(harness, 'atual.pfx', pfx);
    await until(harness, (s) => s.certificates.some((e) => e.file === 'atual.pfx' && e.status === 'ready'));
    await request(harness.app).post(`${BASE}/api/enable`).set(bearer).send({ file: 'atual.pfx', password: PASSWORD, identificadorSolicitante: '3167' }).expect(200);
    return harness;
  }
  const statePath = (harness: Harness) => path.join(harness.dataDir, 'state.json');

  it('when the module restarts, then the issuer kept in the state proves the renewal; a state written before it was kept reads it from the enabled file again', async () => {
    const harness = await enabledWith(current.pfx);
    const saved = JSON.parse(fs.readFileSync(statePath(harness), 'utf8'));
    expect(saved.enabled.issuerCertificate).toBe(new X509Certificate(current.caPem).raw.toString('base64'));
    // Kept for the proof only: not part of the Status.
    const status = (await request(harness.app).get(`${BASE}/api/status`).set(bearer).expect(200)).body;
    expect(Object.keys(status.enabled)).not.toContain('issuerCertificate');

    delete saved.enabled.issuerCertificate;
    fs.writeFileSync(statePath(harness), JSON.stringify(saved));
    await harness.restart();
    put(harness, 'renovado.pfx', genuine.pfx);
    const offered = await until(harness, (s) => !!s.renewal);
    expect(offered.renewal?.file).toBe('renovado.pfx');
    await request(harness.app).post(`${BASE}/api/renew`).set(bearer).send({ checkRnds: false }).expect(200);
    // The switch keeps the issuer that proved it, for the next renewal.
    expect(JSON.parse(fs.readFileSync(statePath(harness), 'utf8')).enabled.issuerCertificate).toBe(new X509Certificate(current.caPem).raw.toString('base64'));
  });

  it('when the enabled file carried no certificate of its CA, then no renewal is offered and the new file is enabled with its password, as any other', async () => {
    const { keyDer, certsDer } = material(current, PASSWORD);
    const leafOnly = buildPkcs12({ keyPkcs8Der: keyDer, certsDer: certsDer.slice(0, 1), password: PASSWORD, friendlyName: 'sem cadeia', encoding: 'aes', iterations: 2048 });
    const harness = await enabledWith(leafOnly);
    expect(JSON.parse(fs.readFileSync(statePath(harness), 'utf8')).enabled).not.toHaveProperty('issuerCertificate');
    put(harness, 'renovado.pfx', genuine.pfx);
    await until(harness, (s) => s.certificates.some((e) => e.file === 'renovado.pfx' && e.status === 'ready'));
    await harness.rnds.settled();
    expect(harness.rnds.status().renewal).toBeNull();
    expect((await loggedIn(harness)).page.text).not.toContain('id="usar-renovado"');
    const refused = await request(harness.app).post(`${BASE}/api/renew`).set(bearer).send({ checkRnds: false }).expect(404);
    expect(refused.body.error.message).toContain('digitando a senha');
    await request(harness.app).post(`${BASE}/api/enable`).set(bearer).send({ file: 'renovado.pfx', password: PASSWORD, identificadorSolicitante: '3167' }).expect(200);
  });
});
