/**
 * The event stream is bounded (issue 11, item 3): one serialisation per change shared by every client, clients that
 * never read hold at most about one event in the server's buffers, streams are capped globally and per session, and a
 * session's streams end when it logs out or expires. Real sockets throughout; the bounds are counts and bytes.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { EventHub, MAX_STREAMS, MAX_STREAMS_PER_SESSION } from '../../module/http/events.js';
import type { Status } from '../../module/types.js';
import { BASE, CERTS, TOKEN, startHarness, type Harness } from '../support/harness.js';

let h: Harness | undefined;
const servers: http.Server[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
  await h?.close();
  h = undefined;
});

async function listen(app: express.Express): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(app).listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((r) => server.once('listening', r));
  return { server, port: (server.address() as AddressInfo).port };
}

interface Stream {
  res: http.IncomingMessage;
  events: string[];
  /** Everything received, as text. */
  raw(): string;
  ended: Promise<void>;
  /** Resolves when an event satisfies `predicate` (rejects if the stream ends first). */
  next(predicate: (event: string) => boolean): Promise<string>;
  close(): void;
}

function openStream(port: number, path: string, headers: Record<string, string>): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { Accept: 'text/event-stream', ...headers }, agent: false });
    req.once('error', reject);
    req.once('response', (res) => {
      const events: string[] = [];
      const waiters = new Set<{ predicate: (e: string) => boolean; resolve: (e: string) => void; reject: (e: Error) => void }>();
      let buffer = '';
      let raw = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        buffer += chunk;
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          events.push(event);
          for (const w of waiters) {
            if (!w.predicate(event)) continue;
            waiters.delete(w);
            w.resolve(event);
          }
        }
      });
      const ended = new Promise<void>((r) => res.once('close', () => r()));
      void ended.then(() => {
        for (const w of waiters) w.reject(new Error('stream ended'));
      });
      resolve({
        res,
        events,
        raw: () => raw,
        ended,
        next: (predicate) => {
          const found = events.find(predicate);
          if (found) return Promise.resolve(found);
          return new Promise((resolve, reject) => waiters.add({ predicate, resolve, reject }));
        },
        close: () => req.destroy(),
      });
    });
  });
}

const isStatus = (e: string) => e.startsWith('event: status');

/** A large Status (a folder of 2 000 certificates) that counts how often it is serialised. */
function largeStatusSource() {
  const certificates = Array.from({ length: 2000 }, (_, i) => ({
    file: `certificado-${String(i).padStart(4, '0')}.pfx`,
    status: 'ready',
    size: 4321,
    modifiedAt: '2026-01-01T00:00:00.000Z',
    sha256: 'ab'.repeat(32),
  }));
  const counter = { serialisations: 0, seq: 0 };
  const getStatus = () => {
    const seq = counter.seq;
    return {
      toJSON() {
        counter.serialisations++;
        return { state: 'disabled', seq, certificates };
      },
    } as unknown as Status;
  };
  return { counter, getStatus };
}

describe('EventHub bounds', () => {
  it('when 10 clients never read while the Status changes 30 times, then it is serialised once per change and the buffers stay about one event per client', async () => {
    const { counter, getStatus } = largeStatusSource();
    const hub = new EventHub(getStatus);
    const app = express();
    app.get('/events', (req, res) => hub.subscribe(req, res));
    const { server, port } = await listen(app);
    const serverSockets = new Set<net.Socket>();
    server.on('connection', (s) => serverSockets.add(s));

    const frameBytes = Buffer.byteLength(`event: status\ndata: ${JSON.stringify(getStatus())}\n\n`);
    counter.serialisations = 0;
    const clients: net.Socket[] = [];
    for (let i = 0; i < 10; i++) {
      const socket = net.connect(port, '127.0.0.1');
      sockets.push(socket);
      await new Promise((r) => socket.once('connect', r));
      socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      socket.pause(); // never reads: the kernel buffers fill, then the server's
      clients.push(socket);
    }
    await waitUntil(() => hub.size === 10);

    for (let i = 1; i <= 30; i++) {
      counter.seq = i;
      hub.broadcast();
      await new Promise((r) => setImmediate(r));
    }
    const buffered = [...serverSockets].reduce((sum, s) => sum + s.writableLength, 0);

    expect(counter.serialisations).toBeLessThanOrEqual(31); // the first event plus one per change, not one per client
    expect(buffered).toBeLessThanOrEqual(10 * 2 * frameBytes); // without the bound: up to 30 events per client
    expect(hub.size).toBe(10);

    // A client that starts reading again gets the latest Status.
    const reader = clients[0]!;
    let text = '';
    const latest = new Promise<void>((resolve) => {
      reader.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes('"seq":30,')) resolve();
      });
    });
    reader.resume();
    await latest;
    hub.close();
  });

  it('when the global cap of streams is reached, then the next one is refused with 429 TOO_MANY_STREAMS', async () => {
    h = await startHarness();
    const { port } = await listen(h.app);
    const open: Stream[] = [];
    for (let i = 0; i < MAX_STREAMS; i++) {
      const stream = await openStream(port, `${BASE}/api/events`, { Authorization: `Bearer ${TOKEN}` });
      expect(stream.res.statusCode).toBe(200);
      open.push(stream);
    }
    const refused = await openStream(port, `${BASE}/api/events`, { Authorization: `Bearer ${TOKEN}` });
    expect(refused.res.statusCode).toBe(429);
    expect(refused.res.headers['retry-after']).toBeDefined();
    await refused.ended;
    expect(JSON.parse(refused.raw()).error.code).toBe('TOO_MANY_STREAMS');
    // A slot freed is a slot usable again.
    open[0]!.close();
    let again = await openStream(port, `${BASE}/api/events`, { Authorization: `Bearer ${TOKEN}` });
    for (let tries = 0; again.res.statusCode === 429 && tries < 100; tries++) {
      again.close();
      await new Promise((r) => setImmediate(r));
      again = await openStream(port, `${BASE}/api/events`, { Authorization: `Bearer ${TOKEN}` });
    }
    expect(again.res.statusCode).toBe(200);
    for (const s of [...open, again]) s.close();
  });
});

async function waitUntil(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 10));
}

/** Logs in over HTTP and returns the session cookie and the page's CSRF token. */
async function login(port: number): Promise<{ cookie: string; csrf: string }> {
  const base = `http://127.0.0.1:${port}${BASE}`;
  const entrar = await fetch(`${base}/entrar?token=${TOKEN}`, { redirect: 'manual' });
  expect(entrar.status).toBe(303);
  const cookie = entrar.headers.getSetCookie().map((c) => c.split(';')[0] ?? '').find((c) => c.startsWith('pec_rnds_sessao='))!;
  const page = await fetch(`${base}/`, { headers: { Cookie: cookie } });
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(await page.text())![1]!;
  return { cookie, csrf };
}

describe('event streams of a session', () => {
  it(`when one session opens more than ${MAX_STREAMS_PER_SESSION} streams, then the extra one is refused and other sessions are not`, async () => {
    h = await startHarness();
    const { port } = await listen(h.app);
    const mine = await login(port);
    const open: Stream[] = [];
    for (let i = 0; i < MAX_STREAMS_PER_SESSION; i++) open.push(await openStream(port, `${BASE}/api/events`, { Cookie: mine.cookie }));
    expect(open.map((s) => s.res.statusCode)).toEqual(Array(MAX_STREAMS_PER_SESSION).fill(200));
    const extra = await openStream(port, `${BASE}/api/events`, { Cookie: mine.cookie });
    expect(extra.res.statusCode).toBe(429);
    const theirs = await login(port);
    const other = await openStream(port, `${BASE}/api/events`, { Cookie: theirs.cookie });
    expect(other.res.statusCode).toBe(200);
    for (const s of [...open, extra, other]) s.close();
  });

  it('when the admin logs out, then the streams of that session end and the others keep receiving', async () => {
    h = await startHarness();
    const { port } = await listen(h.app);
    const { cookie, csrf } = await login(port);
    const tab1 = await openStream(port, `${BASE}/api/events`, { Cookie: cookie });
    const tab2 = await openStream(port, `${BASE}/api/events`, { Cookie: cookie });
    const integration = await openStream(port, `${BASE}/api/events`, { Authorization: `Bearer ${TOKEN}` });
    await Promise.all([tab1, tab2, integration].map((s) => s.next(isStatus)));

    const sair = await fetch(`http://127.0.0.1:${port}${BASE}/sair`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `_csrf=${encodeURIComponent(csrf)}`,
    });
    expect(sair.status).toBe(303);
    await Promise.all([tab1.ended, tab2.ended]);

    h.drop(CERTS.aes.file, 'depois-de-sair.p12');
    await integration.next((e) => e.includes('"file":"depois-de-sair.p12"'));
    expect(tab1.events.concat(tab2.events).some((e) => e.includes('depois-de-sair'))).toBe(false);
    integration.close();
  });

  it('when the session expires while its stream is open, then the next change ends that stream instead of reaching it', async () => {
    let clock = Date.now();
    h = await startHarness({ now: () => new Date(clock) });
    const { port } = await listen(h.app);
    const { cookie } = await login(port);
    const tab = await openStream(port, `${BASE}/api/events`, { Cookie: cookie });
    const integration = await openStream(port, `${BASE}/api/events`, { Authorization: `Bearer ${TOKEN}` });
    await Promise.all([tab.next(isStatus), integration.next(isStatus)]);

    clock += 12 * 60 * 60 * 1000 + 60_000; // idle for more than 12 hours
    h.drop(CERTS.aes.file, 'depois-de-expirar.p12');
    await tab.ended;
    await integration.next((e) => e.includes('"file":"depois-de-expirar.p12"'));
    expect(tab.events.some((e) => e.includes('depois-de-expirar'))).toBe(false);
    const after = await fetch(`http://127.0.0.1:${port}${BASE}/api/status`, { headers: { Cookie: cookie } });
    expect(after.status).toBe(401);
    integration.close();
  });
});
