/**
 * The server's own figures (issue 14), each next to its baseline measured in the same run:
 * - resident memory with nothing enabled, against a bare Express app serving the same Status JSON;
 * - cold start, `node dist/scripts/serve.js` until `/health` answers 200, against a bare `node -e` HTTP server and a
 *   bare Express app started the same way;
 * - `GET /api/status` requests per second with 10 connections (autocannon), against the bare Express app; and the
 *   same with `If-None-Match`, as a poller that keeps the ETag sees it;
 * - 5 000 files copied into `chaves` at once (`cp -r`, whose own time is the baseline) until `/api/certificates` lists
 *   them all, ready and hashed.
 * `npm run bench -- lean` runs only this section; add `--quick` for fewer, shorter rounds (CI smoke, not figures).
 * BENCH_SERVER_ROOT=/other/checkout measures that checkout's built server instead (before/after comparisons).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { type BenchSection, median, printTable, projectRoot } from './lib.js';

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const TOKEN = randomBytes(24).toString('base64url');
const FILES = quick ? 1000 : 5000;
/** Copies of the FILES measured (the figure is their median). */
const COPY_ROUNDS = quick ? 1 : 3;

interface Running {
  child: ChildProcess;
  port: number;
  /** From spawn() to the first 200 of /health, in ms. */
  startMs: number;
}

type Kind = 'pec-rnds' | 'express' | 'node';

/** Environment of the child: the caller's, without any RNDS_* setting that could point it elsewhere. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('RNDS_') && !/^(https?_proxy|no_proxy|PORT|HOST)$/i.test(key)) env[key] = value;
  return { ...env, ...extra };
}

const BARE_NODE = `require('http').createServer((q, s) => { s.setHeader('content-type', 'application/json'); s.end('{"status":"ok"}'); })
  .listen(0, '127.0.0.1', function () { console.log('http://127.0.0.1:' + this.address().port + '/'); });`;

async function start(kind: Kind, dirs: { chaves: string; data: string }, statusJson = '{}'): Promise<Running> {
  const root = projectRoot();
  const args =
    kind === 'pec-rnds'
      ? [path.join(process.env.BENCH_SERVER_ROOT ?? root, 'dist/scripts/serve.js')]
      : kind === 'express'
        ? [path.join(root, 'dist/scripts/bench/baseline/bare-express.js')]
        : ['-e', BARE_NODE];
  const env = cleanEnv(
    kind === 'pec-rnds'
      ? { PORT: '0', HOST: '127.0.0.1', RNDS_CHAVES_DIR: dirs.chaves, RNDS_DATA_DIR: dirs.data, RNDS_ACCESS_TOKEN: TOKEN, RNDS_CONNECTION_CHECK_MINUTES: '0' }
      : { BENCH_STATUS_JSON: statusJson },
  );
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { cwd: dirs.data, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${kind} terminou antes de atender (código ${code})`)));
  });
  child.stdout!.resume();
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null);
    if (res?.status === 200) {
      await res.arrayBuffer();
      break;
    }
  }
  return { child, port, startMs: performance.now() - spawnedAt };
}

async function stop(running: Running): Promise<void> {
  if (running.child.exitCode !== null) return;
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGTERM');
  await exited;
}

/** Resident memory of a process in MB (Linux /proc); null elsewhere. */
function rssMb(pid: number | undefined): number | null {
  const file = `/proc/${pid}/status`;
  if (pid === undefined || !existsSync(file)) return null;
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(file, 'utf8'));
  return match ? Number(match[1]) / 1024 : null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU time the process has used so far, in ms (Linux /proc, user + system); null elsewhere. */
function cpuMs(pid: number | undefined): number | null {
  const file = `/proc/${pid}/stat`;
  if (pid === undefined || !existsSync(file)) return null;
  const fields = readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks: 100 per second on Linux
}

/**
 * Requests per second with 10 connections, and the server's CPU time per request: on a shared machine the first moves
 * with everyone else's load, the second much less.
 */
async function load(server: Running, headers: Record<string, string>, seconds: number): Promise<{ rps: number; cpuUs: number | null }> {
  const before = cpuMs(server.child.pid);
  const result = await autocannon({ url: `http://127.0.0.1:${server.port}/api/status`, connections: 10, duration: seconds, headers });
  const after = cpuMs(server.child.pid);
  const cpuUs = before === null || after === null || result.requests.total === 0 ? null : ((after - before) * 1000) / result.requests.total;
  return { rps: result.requests.average, cpuUs };
}

/** A file shaped like a PKCS#12 (one DER SEQUENCE stating its length), ~3 KiB like real A1 certificates. */
function pkcs12Like(): Buffer {
  const length = 3000;
  return Buffer.concat([Buffer.from([0x30, 0x82, length >> 8, length & 0xff]), randomBytes(length)]);
}

const mb = (value: number | null) => (value === null ? 'n/a' : `${value.toFixed(1)} MB`);
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ratio = (ours: number | null, base: number | null) => (ours === null || base === null || base === 0 ? 'n/a' : `${(ours / base).toFixed(2)}x`);

export const section: BenchSection = {
  title: `Servidor: memória, partida, GET /api/status e ${FILES} arquivos — pec-rnds x Express puro, na mesma execução${quick ? ' (modo rápido: não são figuras)' : ''}`,
  async run() {
    const base = await mkdtemp(path.join(tmpdir(), 'bench-lean-'));
    const dirs = { chaves: path.join(base, 'chaves'), data: path.join(base, 'data') };
    await mkdir(dirs.chaves);
    await mkdir(dirs.data, { mode: 0o700 });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const rows: string[][] = [['figura', 'referência', 'pec-rnds', 'razão', 'meta']];
    try {
      // The first start creates the state files; a restart is what "cold start" means for a service.
      await stop(await start('pec-rnds', dirs));

      // ---- cold start: spawn → /health 200, alternating, median of the rounds
      const rounds = quick ? 3 : 7;
      const starts: Record<Kind, number[]> = { node: [], express: [], 'pec-rnds': [] };
      for (let i = 0; i < rounds; i++) {
        for (const kind of ['node', 'express', 'pec-rnds'] as const) {
          const running = await start(kind, dirs);
          starts[kind].push(running.startMs);
          await stop(running);
        }
      }
      const startOurs = median(starts['pec-rnds']);
      const startExpress = median(starts.express);
      const startNode = median(starts.node);

      // ---- memory, idle with nothing enabled: both running side by side, the same Status JSON
      const ours = await start('pec-rnds', dirs);
      const statusRes = await fetch(`http://127.0.0.1:${ours.port}/api/status`, { headers: auth });
      const statusJson = await statusRes.text();
      const bare = await start('express', dirs, statusJson);
      await sleep(2000);
      const idleOurs = rssMb(ours.child.pid);
      const idleBare = rssMb(bare.child.pid);
      let settledOurs: number | null = null;
      let settledBare: number | null = null;
      if (!quick) {
        // V8 gives back what start-up used only after some idle seconds (its memory reducer): a service is idle far longer.
        await sleep(28_000);
        settledOurs = rssMb(ours.child.pid);
        settledBare = rssMb(bare.child.pid);
      }

      // ---- GET /api/status, 10 connections, alternating
      const seconds = quick ? 2 : 5;
      const rpsOurs: number[] = [];
      const rpsBare: number[] = [];
      const cpuOurs: number[] = [];
      const cpuBare: number[] = [];
      for (let i = 0; i < (quick ? 1 : 3); i++) {
        const bareRound = await load(bare, {}, seconds);
        const oursRound = await load(ours, auth, seconds);
        rpsBare.push(bareRound.rps);
        rpsOurs.push(oursRound.rps);
        if (bareRound.cpuUs !== null && oursRound.cpuUs !== null) {
          cpuBare.push(bareRound.cpuUs);
          cpuOurs.push(oursRound.cpuUs);
        }
      }
      const etag = statusRes.headers.get('etag');
      const rpsPolling = etag ? (await load(ours, { ...auth, 'if-none-match': etag }, seconds)).rps : null;
      const loadedOurs = rssMb(ours.child.pid);
      const loadedBare = rssMb(bare.child.pid);
      await stop(bare);

      // ---- FILES copied into chaves at once → all listed, ready, with their hashes. One copy moves a lot with the
      // machine's load: the median of a few, each into the emptied folder, with the range printed beside it.
      const stage = path.join(base, 'copia');
      await mkdir(stage);
      for (let i = 0; i < FILES; i++) await writeFile(path.join(stage, `certificado-${i}.pfx`), pkcs12Like());
      const listing = async (tag: string | null) => {
        const res: Response = await fetch(`http://127.0.0.1:${ours.port}/api/certificates`, { headers: tag ? { ...auth, 'if-none-match': tag } : auth });
        if (res.status !== 200) {
          await res.arrayBuffer();
          return null;
        }
        const { certificates } = (await res.json()) as { certificates: Array<{ status: string; sha256?: string }> };
        return { tag: res.headers.get('etag'), certificates };
      };
      const copies: Array<{ copyMs: number; afterMs: number }> = [];
      for (let round = 0; round < COPY_ROUNDS; round++) {
        if (round > 0) {
          await new Promise<void>((resolve, reject) => execFile('find', [dirs.chaves, '-mindepth', '1', '-delete'], (error) => (error ? reject(error) : resolve())));
          while ((await listing(null))?.certificates.length !== 0) await sleep(20);
        }
        const copyStarted = performance.now();
        let copyMs = 0;
        const copied = new Promise<void>((resolve, reject) =>
          execFile('cp', ['-r', `${stage}/.`, dirs.chaves], (error) => {
            copyMs = performance.now() - copyStarted;
            if (error) reject(error);
            else resolve();
          }),
        );
        let listedMs = 0;
        let tag: string | null = null;
        for (;;) {
          const seen = await listing(tag);
          if (seen) {
            tag = seen.tag;
            if (seen.certificates.length === FILES && seen.certificates.every((entry) => entry.status === 'ready' && entry.sha256)) {
              listedMs = performance.now() - copyStarted;
              break;
            }
          }
          await sleep(20);
        }
        await copied;
        copies.push({ copyMs, afterMs: Math.max(0, listedMs - copyMs) });
      }
      await stop(ours);

      rows.push(['memória residente, parado, 2 s após /health', mb(idleBare), mb(idleOurs), ratio(idleOurs, idleBare), '≤ 1.2x']);
      if (!quick) rows.push(['memória residente, parado, 30 s após /health', mb(settledBare), mb(settledOurs), ratio(settledOurs, settledBare), '≤ 1.2x']);
      rows.push(['memória residente após a carga abaixo', mb(loadedBare), mb(loadedOurs), ratio(loadedOurs, loadedBare), '']);
      rows.push([`partida a frio até /health 200 (mediana de ${rounds})`, sec(startExpress), sec(startOurs), ratio(startOurs, startExpress), '≤ 0.5 s']);
      rows.push(['  referência: node -e com http puro', sec(startNode), '', ratio(startOurs, startNode), '']);
      rows.push([`GET /api/status, 10 conexões, req/s (${statusJson.length} bytes)`, median(rpsBare).toFixed(0), median(rpsOurs).toFixed(0), ratio(median(rpsOurs), median(rpsBare)), '≥ 0.8x']);
      if (cpuOurs.length > 0) {
        const us = (value: number) => `${value.toFixed(0)} µs`;
        rows.push(['  CPU do servidor por requisição', us(median(cpuBare)), us(median(cpuOurs)), ratio(median(cpuOurs), median(cpuBare)), '']);
      }
      if (rpsPolling !== null) rows.push(['  com If-None-Match (304, quem consulta sempre)', '', rpsPolling.toFixed(0), ratio(rpsPolling, median(rpsBare)), '']);
      const afterCp = copies.map((c) => c.afterMs);
      const spread = copies.length > 1 ? ` (${sec(Math.min(...afterCp))}–${sec(Math.max(...afterCp))})` : '';
      rows.push([
        `${FILES} arquivos copiados de uma vez → todos listados${copies.length > 1 ? ` (mediana de ${copies.length})` : ''}`,
        `cp: ${sec(median(copies.map((c) => c.copyMs)))}`,
        sec(median(copies.map((c) => c.copyMs + c.afterMs))),
        `+${sec(median(afterCp))} após o cp${spread}`,
        '≤ 1 s',
      ]);
      printTable(rows);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  },
};
