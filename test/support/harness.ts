import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { HANG_MS } from './wait.js';
import { createRndsModule, type RndsModule, type RndsModuleOptions } from '../../module/index.js';
import { generateContraChave } from '../../module/state/index.js';

export { FIXTURES_DIR as FIXTURES } from './fixtures.js';
export { tempDir } from './files.js';
import { FIXTURES_DIR as FIXTURES } from './fixtures.js';
import { tempDir } from './files.js';

/** The fixtures the HTTP and browser tests use, with their passwords (see scripts/make-fixtures.sh). */
export const CERTS = {
  legacy: { file: 'legacy-rc2-3des.pfx', password: 'Senha@çã1' },
  aes: { file: 'aes256-default.p12', password: 'Senha@çã1' },
  expired: { file: 'expired.p12', password: 'senha123' },
  certOnly: { file: 'cert-only.p12', password: 'senha123' },
  ec: { file: 'ec-p256.p12', password: 'Senha@çã1' },
} as const;

export const BASE = '/gestao/rnds';
export const TOKEN = 'token-de-teste-0123456789abcdef';

export interface Harness {
  root: string;
  chavesDir: string;
  dataDir: string;
  app: express.Express;
  /** The module instance serving now (a new one after restart()). */
  readonly rnds: RndsModule;
  logs: string[];
  /** Copies a fixture into the chaves folder (optionally under another name). */
  drop(fixture: string, as?: string): string;
  /** Waits until the catalogue lists `file` with status `ready` (or the predicate holds). */
  waitFor(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /**
   * Stops the module and starts a new instance on the same folders behind the same host app, as a service restart
   * does: nothing kept in memory survives.
   */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** A host app with the module mounted at a non-root base path, as PEC would mount it. */
export async function startHarness(options: Partial<RndsModuleOptions> & { files?: string[] } = {}): Promise<Harness> {
  const root = tempDir();
  const chavesDir = path.join(root, 'chaves');
  const dataDir = path.join(root, 'data');
  fs.mkdirSync(chavesDir);
  const { files = [], ...moduleOptions } = options;
  const drop = (fixture: string, as = fixture) => {
    const target = path.join(chavesDir, as);
    fs.copyFileSync(path.join(FIXTURES, fixture), target);
    return target;
  };
  for (const f of files) drop(f);
  const logs: string[] = [];
  const moduleInput: RndsModuleOptions = {
    chavesDir,
    dataDir,
    // An installation whose contra-chave was configured (each harness its own), unless the test passes `contraChave`
    // itself — `contraChave: undefined` leaves it unconfigured (a generated test value).
    ...('contraChave' in moduleOptions ? {} : { contraChave: generateContraChave() }),
    accessToken: moduleOptions.authorize ? undefined : TOKEN,
    logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    // The periodic check (on by default) would call the real RNDS hosts: off unless a test asks for it.
    connectionCheckMinutes: 0,
    // Likewise the test started after every enable: on only where a test asks for it (with the RNDS double).
    connectionTestAfterEnable: false,
    ...moduleOptions,
  };
  let rnds = await createRndsModule(moduleInput);
  const app = express();
  // Through a function, so that restart() can put a new instance behind the same host app (and the same port).
  app.use(BASE, (req, res, next) => rnds.router(req, res, next));
  const waitFor = async (predicate: () => boolean, what: string, timeoutMs = HANG_MS) => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  for (const f of files) {
    await waitFor(() => rnds.status().certificates.some((e) => e.file === f && e.status === 'ready'), `${f} ready`);
  }
  return {
    root,
    chavesDir,
    dataDir,
    app,
    get rnds() {
      return rnds;
    },
    logs,
    drop,
    waitFor,
    async restart() {
      await rnds.close();
      rnds = await createRndsModule(moduleInput);
    },
    async close() {
      await rnds.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export const bearer = { Authorization: `Bearer ${TOKEN}` };

/** The Habilitar form as the screen posts it (urlencoded): the legacy fixture for RNDS in produção. */
export function enableForm(csrf: string, password: string = CERTS.legacy.password) {
  return { _csrf: csrf, file: CERTS.legacy.file, password, identificadorSolicitante: '3167', services: 'RNDS', environment: 'producao' };
}

/** A browser-like session: logged in through /entrar, with the screen's CSRF token. */
export async function loggedIn(harness: Harness) {
  const agent = request.agent(harness.app);
  await agent.get(`${BASE}/entrar?token=${TOKEN}`).expect(303);
  const page = await agent.get(`${BASE}/`).expect(200);
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.text)?.[1];
  if (!csrf) throw new Error('no CSRF token on the page');
  return { agent, csrf, page };
}

/**
 * Post/redirect/get: a form answer must be a 303 to the screen itself (no message in the URL); returns the screen that
 * redirect leads to (what the session's flash holds shows once there).
 */
export async function followToScreen(agent: ReturnType<typeof request.agent>, res: { status: number; headers: Record<string, string> }) {
  if (res.status !== 303 || res.headers.location !== `${BASE}/`) {
    throw new Error(`expected 303 to ${BASE}/, got ${res.status} to ${res.headers.location}`);
  }
  return agent.get(`${BASE}/`).expect(200);
}

/** Every file under `dir`, read as bytes. */
export function readTree(dir: string): Buffer[] {
  const out: Buffer[] = [];
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = fs.lstatSync(p);
    if (st.isDirectory()) out.push(...readTree(p));
    else if (st.isFile()) out.push(fs.readFileSync(p));
  }
  return out;
}

/** The password in every encoding a careless implementation might use. */
export function encodings(secret: string): Buffer[] {
  const utf16be = Buffer.from(secret, 'utf16le');
  utf16be.swap16();
  return [
    Buffer.from(secret, 'utf8'),
    Buffer.from(secret, 'utf16le'),
    utf16be,
    Buffer.from(secret, 'latin1'),
    Buffer.from(Buffer.from(secret, 'utf8').toString('base64')),
    Buffer.from(Buffer.from(secret, 'utf8').toString('hex')),
    Buffer.from(encodeURIComponent(secret)),
  ];
}
