/** Runs the command-line scripts as `npm run <script>` does (compiled), and captures what they print. */
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { compiled, run } from '../support/spawn.js';

export { ROOT } from '../support/files.js';
export { FIXTURES_DIR as FIXTURES } from '../support/fixtures.js';
import { ROOT, tempDir as sharedTempDir } from '../support/files.js';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node dist/scripts/<script>.js …args` (what `npm run <script>` runs) with only the given environment (plus PATH). */
export function runScript(script: string, args: string[], options: { env?: Record<string, string>; input?: string | Buffer; cwd?: string } = {}): Promise<RunResult> {
  return run(process.execPath, [compiled(`scripts/${script}.ts`), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), TZ: 'UTC', ...options.env },
    input: options.input ?? '',
  });
}

export const tempDir = (prefix = 'pec-rnds-cli-'): string => sharedTempDir(prefix);

/** A port nothing listens on (taken from the OS, then released). */
export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A stand-in for the server's public /health (the CLI only reads that route). */
export async function fakeHealthServer(rnds: string, base = ''): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url === `${base}/health`) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', rnds }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
