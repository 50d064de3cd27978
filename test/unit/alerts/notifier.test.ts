/**
 * The alert notifier against a real state store (its real write queue, real files) and a real HTTP receiver: the
 * order in which a delivery is recorded and a new check is written decides whether an event goes out twice.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertNotifier } from '../../../module/alerts/notifier.js';
import { createWebhookSender } from '../../../module/alerts/channels.js';
import { StateStore } from '../../../module/state/index.js';
import type { Status } from '../../../module/types.js';
import { tempDir } from '../../support/files.js';
import { HANG_MS } from '../../support/wait.js';

function status(state: 'degraded' | 'enabled'): Status {
  return {
    state,
    contraChave: 'x',
    contraChaveOrigin: 'gerada',
    chavesDir: { path: '/x', exists: true, readable: true },
    certificates: [],
    enabled: null,
    connection: null,
    problems: state === 'degraded' ? [{ code: 'CERTIFICATE_MISSING', severity: 'critical', message: 'O arquivo habilitado sumiu da pasta chaves.' }] : [],
  };
}

interface Receiver {
  url: string;
  /** Event ids in the order they arrived. */
  ids: string[];
  /** Resolves when the n-th request has arrived (1-based). */
  arrived(n: number): Promise<void>;
  /** Lets the held answer to the first request go (204). */
  releaseFirst(): void;
  close(): Promise<void>;
}

/** A real webhook receiver that holds its answer to the first request until told; later requests get 204 at once. */
async function startReceiver(): Promise<Receiver> {
  const ids: string[] = [];
  const waiting: Array<{ n: number; resolve: () => void }> = [];
  let release: () => void = () => undefined;
  const first = new Promise<void>((resolve) => (release = resolve));
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      ids.push(String((JSON.parse(body) as { id: unknown }).id));
      const n = ids.length;
      for (const w of waiting.filter((w) => w.n <= n)) w.resolve();
      if (n === 1) void first.then(() => res.writeHead(204).end());
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    ids,
    arrived: (n) => (ids.length >= n ? Promise.resolve() : new Promise((resolve) => waiting.push({ n, resolve }))),
    releaseFirst: () => release(),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Yields to the event loop until `predicate` holds; the deadline only turns a hang into a readable failure. */
async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + HANG_MS;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('AlertNotifier', () => {
  it('when a delivery is recorded while a newer check waits to write, then each event reaches the webhook once', async () => {
    const dir = tempDir();
    const store = await StateStore.open({ dataDir: path.join(dir, 'data') });
    const receiver = await startReceiver();
    closers.push(() => fs.rmSync(dir, { recursive: true, force: true }), () => store.close(), receiver.close);
    let current = status('degraded');
    const notifier = new AlertNotifier({
      store,
      senders: [createWebhookSender({ url: receiver.url })],
      status: () => current,
      now: () => new Date('2026-12-01T12:00:00Z'),
      timeZone: 'America/Sao_Paulo',
      retryDelayMs: 0,
    });
    closers.push(() => notifier.close());

    // The "degraded" event is recorded and its delivery reaches the receiver, which holds the answer.
    const firstCheck = notifier.check();
    await receiver.arrived(1);
    // Another writer holds the state file (the enablement saving a connection test, say): the delivery's record
    // queues behind it.
    let unblock: () => void = () => undefined;
    const writer = store.update(async (state) => {
      await new Promise<void>((resolve) => (unblock = resolve));
      return state;
    });
    receiver.releaseFirst();
    await until(() => notifier.info().sent.webhook === 1, 'the delivery to be counted (its record is then queued)');
    // The state changes: the new check reads the state (the delivery not recorded yet) and queues its own write.
    current = status('enabled');
    const secondCheck = notifier.check();
    await new Promise((resolve) => setImmediate(resolve));
    unblock();
    await Promise.all([writer, firstCheck, secondCheck]);
    await notifier.settled();

    const [degraded, recovered] = store.get().alerts!.events;
    expect(degraded!.kind).toBe('degraded');
    expect(recovered!.kind).toBe('recovered');
    expect(receiver.ids).toEqual([degraded!.key, recovered!.key]);
    expect(store.get().alerts!.events.map((e) => e.deliveries.webhook)).toEqual(['sent', 'sent']);
    expect(notifier.info()).toMatchObject({ pending: 0, sent: { webhook: 2 }, failed: { webhook: 0 } });
  });
});
