/**
 * The RNDS tab live on a report (issue 18 §2): a stored batch (POST /api/envios or recordSends) is announced on
 * /api/events as a `sends` event carrying only a version, which the tab's page also carries. Read by an EventSource-like
 * reader over real sockets; the `sends` event's timers go through the module's scheduler, driven by hand where the test
 * counts events (no wall clock decides a count).
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { EventHub } from '../../module/http/events.js';
import type { Status } from '../../module/types.js';
import { BASE, CERTS, TOKEN, bearer, startHarness, type Harness } from '../support/harness.js';
import { fakeScheduler, type FakeScheduler } from '../support/fake-scheduler.js';
import { readEventStream, type EventStreamReader, type StreamEvent } from '../support/event-stream.js';

const REPORTING = 'envios-do-pec-0123456789abcdef';
const asReporter = { Authorization: `Bearer ${REPORTING}` };
const CNS = '701234567890123';

let h: Harness | undefined;
let server: http.Server | undefined;
const readers: EventStreamReader[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) r.close();
  for (const s of sockets.splice(0)) s.destroy();
  server?.closeAllConnections();
  server?.close();
  server = undefined;
  await h?.close();
  h = undefined;
});

/** A module with a certificate enabled for RNDS, served on a real port. */
async function start(scheduler?: FakeScheduler): Promise<{ h: Harness; port: number }> {
  h = await startHarness({ files: [CERTS.aes.file], reportingToken: REPORTING, ...(scheduler ? { scheduler } : {}) });
  await request(h.app)
    .post(`${BASE}/api/enable`)
    .set(bearer)
    .send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' })
    .expect(200);
  server = http.createServer(h.app).listen(0, '127.0.0.1');
  await new Promise((r) => server!.once('listening', r));
  return { h, port: (server.address() as AddressInfo).port };
}

async function open(port: number): Promise<EventStreamReader> {
  const reader = await readEventStream(`http://127.0.0.1:${port}${BASE}/api/events`, { Authorization: `Bearer ${TOKEN}` });
  readers.push(reader);
  expect(reader.status).toBe(200);
  return reader;
}

const isSends = (e: StreamEvent) => e.event === 'sends';
const versionOf = (e: StreamEvent): string => (JSON.parse(e.data) as { version: string }).version;
/** The sends events after the one every stream gets at connection. */
const laterSends = (reader: EventStreamReader) => reader.events.filter(isSends).slice(1);
/** The version as the count of stored batches it is. */
const countOf = (version: string) => Number(version);

/** The tab as the admin's browser gets it: its sends version and its HTML. */
async function tab(app: Harness['app']): Promise<{ version: string; html: string }> {
  const res = await request(app).get(`${BASE}/rnds`).set(bearer).expect(200);
  const version = /id="rnds-conteudo" data-enabled="true" data-sends-version="([^"]+)"/.exec(res.text)?.[1];
  if (!version) throw new Error('the tab carries no sends version');
  return { version, html: res.text };
}

/** A status event every stream gets (a file dropped in the folder): what was written before it has arrived. */
async function flush(harness: Harness, streams: EventStreamReader[], name: string): Promise<void> {
  harness.drop(CERTS.legacy.file, name);
  await Promise.all(streams.map((s) => s.next((e) => e.event === 'status' && e.data.includes(`"file":"${name}"`))));
}

const firstBatch = { envios: [{ at: '2026-12-03T08:00:00-03:00', model: 'RPM', recordId: 'primeiro-lote', httpStatus: 201 }] };

const refusedBatch = {
  envios: [
    { at: '2026-12-03T10:15:00-03:00', model: 'RAC', recordId: 'registro-sigiloso-77ab01', httpStatus: 201 },
    {
      at: '2026-12-03T10:16:00-03:00',
      model: 'RIA-R',
      recordId: 'registro-sigiloso-0c9d12',
      httpStatus: 422,
      operationOutcome: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: `(EHR-ERR983) Paciente não encontrado: Patient/${CNS}` }] },
    },
  ],
};

describe('the sends event on /api/events', () => {
  it('when the host reports a batch while two tabs are open, then each stream gets one sends event with only a new version, and the tab read then shows the batch under that version', async () => {
    const { h, port } = await start();
    const [x, y] = [await open(port), await open(port)];
    // Before the first batch, nothing: the pages carry version 0.
    expect((await tab(h.app)).version).toBe('0');
    await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(firstBatch).expect(200);
    await Promise.all([x, y].map((s) => s.next(isSends)));
    for (const s of [x, y]) expect(s.events.map((e) => e.event)).toEqual(['status', 'sends']);
    const before = await tab(h.app);
    expect(before.version).toBe('1');
    const [a, b] = [await open(port), await open(port)];
    // At connection: the Status, then the version the page already shows.
    for (const s of [a, b]) {
      expect((await s.next(isSends)).data).toBe(JSON.stringify({ version: before.version }));
      expect(s.events.map((e) => e.event)).toEqual(['status', 'sends']);
    }

    const posted = await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(refusedBatch);
    expect(posted.body).toEqual({ accepted: 2, duplicates: 0 });

    const [ea, eb] = await Promise.all([a, b].map((s) => s.next(isSends, 2)));
    expect(ea!.data).toBe(eb!.data); // one serialisation, written to every stream
    expect(Object.keys(JSON.parse(ea!.data))).toEqual(['version']);
    const after = versionOf(ea!);
    expect(after).not.toBe(before.version);
    expect(countOf(after)).toBe(countOf(before.version) + 1);

    const page = await tab(h.app);
    expect(page.version).toBe(after);
    expect(page.html).toContain('registro-sigiloso-0c9d12');
    expect(page.html).toContain('Total de não enviados</dt><dd>1 registro</dd>');

    // A stream opened later starts at the current version.
    const c = await open(port);
    expect(versionOf(await c.next(isSends))).toBe(after);

    // Nothing of the patient's data ever travels on the stream.
    await flush(h, [a, b, c], 'marcador.pfx');
    for (const s of [a, b, c]) {
      expect(s.raw()).not.toContain('registro-sigiloso');
      expect(s.raw()).not.toContain(CNS);
      expect(s.raw()).not.toContain('ERR983');
      expect(laterSends(s).length).toBeLessThanOrEqual(1);
    }
    expect(laterSends(a)).toHaveLength(1);
  });

  it('when 1000 batches are reported in a burst over HTTP, then every stream gets one sends event for all of them, and nothing more', async () => {
    const scheduler = fakeScheduler();
    const { h, port } = await start(scheduler);
    await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(firstBatch).expect(200);
    const streams = [await open(port), await open(port), await open(port)];
    await Promise.all(streams.map((s) => s.next(isSends)));
    const start0 = countOf(versionOf(streams[0]!.events.find(isSends)!));

    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    try {
      const post = (i: number) =>
        fetchJson(port, agent, { envios: [{ at: new Date(Date.UTC(2026, 11, 3, 13, 0, i % 60, i)).toISOString(), model: i % 3 === 0 ? 'RPM' : 'RAC', recordId: `rajada-${i}`, httpStatus: i % 2 ? 201 : 503 }] });
      const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => post(i)));
      expect(answers.every((a) => a.status === 200 && a.body.accepted === 1)).toBe(true);
    } finally {
      agent.destroy();
    }

    // The whole burst waits on one timer: the first report's.
    expect(scheduler.pending.map((t) => t.ms)).toEqual([20]);
    scheduler.fire();
    // After the event, a pause of a second at least; nothing came in it, so it ends without an event.
    expect(scheduler.pending.map((t) => t.ms)).toEqual([1000]);
    scheduler.fire();
    expect(scheduler.pending).toEqual([]);

    await flush(h, streams, 'depois-da-rajada.pfx');
    for (const s of streams) {
      expect(laterSends(s).map(versionOf).map(countOf)).toEqual([start0 + 1000]);
    }
    expect((await tab(h.app)).version).toBe(versionOf(laterSends(streams[0]!)[0]!));
  });

  it('when batches keep coming after an event, then the next waits for the pause and carries the latest version; the last batch is always announced', async () => {
    const scheduler = fakeScheduler();
    const { h, port } = await start(scheduler);
    await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(firstBatch).expect(200);
    const s = await open(port);
    const v0 = countOf(versionOf(await s.next(isSends)));
    const report = (i: number) => h.rnds.recordSends({ envios: [{ at: `2026-12-03T10:0${i}:00Z`, model: 'RAC', recordId: `r${i}`, httpStatus: 201 }] });

    await report(1);
    scheduler.fire();
    expect(countOf(versionOf(await s.next(isSends, 2)))).toBe(v0 + 1);
    await report(2);
    await report(3);
    expect(scheduler.pending.map((t) => t.ms)).toEqual([1000]); // no new timer: the pause carries them
    scheduler.fire();
    const next = await s.next((e) => isSends(e) && countOf(versionOf(e)) !== v0 + 1, 2);
    expect(countOf(versionOf(next))).toBe(v0 + 3);
    expect(scheduler.pending.map((t) => t.ms)).toEqual([1000]);
    scheduler.fire();
    expect(scheduler.pending).toEqual([]);

    // Quiet again: the next report waits only for its burst.
    await report(4);
    expect(scheduler.pending.map((t) => t.ms)).toEqual([20]);
    scheduler.fire();
    expect(countOf(versionOf(await s.next((e) => isSends(e) && countOf(versionOf(e)) === v0 + 4)))).toBe(v0 + 4);
    await flush(h, [s], 'marcador.pfx');
    expect(laterSends(s).map(versionOf).map(countOf)).toEqual([v0 + 1, v0 + 3, v0 + 4]);
  });

  it('when a batch holds only duplicates, then nothing changed: no new version, no event', async () => {
    const scheduler = fakeScheduler();
    const { h, port } = await start(scheduler);
    await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(refusedBatch).expect(200);
    const before = await tab(h.app);
    const s = await open(port);
    expect(versionOf(await s.next(isSends))).toBe(before.version);

    const again = await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(refusedBatch);
    expect(again.body).toEqual({ accepted: 0, duplicates: 2 });
    expect(scheduler.pending).toEqual([]);
    expect((await tab(h.app)).version).toBe(before.version);
    // An invalid batch stores nothing either.
    await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send({ envios: [{ ...refusedBatch.envios[0], model: 'RIA' }] }).expect(400);
    expect(scheduler.pending).toEqual([]);
    expect((await tab(h.app)).version).toBe(before.version);
  });

  it('when the reporting token asks for the stream, then it is refused (403): it may only report', async () => {
    const { port } = await start();
    const reporter = await readEventStream(`http://127.0.0.1:${port}${BASE}/api/events`, asReporter);
    readers.push(reporter);
    expect(reporter.status).toBe(403);
  });
});

/** POST /api/envios with the reporting token through `agent` (a few sockets, as a host's HTTP client has). */
function fetchJson(port: number, agent: http.Agent, body: unknown): Promise<{ status: number; body: { accepted: number } }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: `${BASE}/api/envios`, method: 'POST', agent, headers: { ...asReporter, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { accepted: number } }));
      },
    );
    req.once('error', reject);
    req.end(payload);
  });
}

describe('the sends event and a client that does not read', () => {
  it('when a tab stops reading while reports keep coming, then it holds at most one sends event beside the Status, and gets the latest version when it reads again', async () => {
    // A Status large enough to fill the socket's buffers, so the stream really stalls.
    const certificates = Array.from({ length: 2000 }, (_, i) => ({ file: `certificado-${i}.pfx`, status: 'ready', sha256: 'ab'.repeat(32) }));
    const scheduler = fakeScheduler();
    const hub = new EventHub(() => ({ state: 'enabled', certificates }) as unknown as Status, { scheduler });
    const app = express();
    app.get('/events', (req, res) => hub.subscribe(req, res));
    server = http.createServer(app).listen(0, '127.0.0.1');
    await new Promise((r) => server!.once('listening', r));
    const port = (server.address() as AddressInfo).port;
    const serverSockets: net.Socket[] = [];
    server.on('connection', (s) => serverSockets.push(s));

    const socket = net.connect(port, '127.0.0.1');
    sockets.push(socket);
    await new Promise((r) => socket.once('connect', r));
    socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    socket.pause(); // never reads
    while (hub.size === 0) await new Promise((r) => setImmediate(r));
    // The Status again and again, until the server's side of the stream has to wait for the reader.
    while (!serverSockets.some((s) => s.writableNeedDrain)) {
      hub.broadcast();
      await new Promise((r) => setImmediate(r));
    }
    const before = serverSockets.reduce((sum, s) => sum + s.writableLength, 0);

    const sendsFrame = Buffer.byteLength(`event: sends\ndata: ${JSON.stringify({ version: hub.sendsVersion })}\n\n`);
    for (let i = 0; i < 30; i++) {
      hub.notifySends();
      scheduler.fire(); // the burst's timer, then each pause: every one finds a new report
    }
    const after = serverSockets.reduce((sum, s) => sum + s.writableLength, 0);
    expect(after - before).toBeLessThanOrEqual(sendsFrame + 2); // nothing of the 30 was queued behind the stalled Status
    const latest = hub.sendsVersion;
    expect(latest).toBe('30');

    let received = '';
    const caughtUp = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        if (received.includes(`{"version":"${latest}"}`)) resolve();
      });
    });
    socket.resume();
    await caughtUp;
    // Of the 30 versions it missed, only the latest reached it.
    const versions = [...received.matchAll(/event: sends\ndata: \{"version":"([^"]+)"\}/g)].map((m) => m[1]);
    expect(versions.filter((v) => v !== '0')).toEqual([latest]);
    hub.close();
  });
});
