/** Helpers for checking the deploy/ files with the real tools (systemd-analyze, nginx, apache2ctl) when installed. */
import fs from 'node:fs';
import path from 'node:path';
import { HANG_MS } from '../support/wait.js';

import { ROOT } from '../support/files.js';
export { ROOT };
export { start, type Started } from '../support/spawn.js';
export const DEPLOY = path.join(ROOT, 'deploy');

/** The absolute path of a command on PATH (or in the sbin folders tests may not have on PATH), or null. */
export function which(command: string): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin']) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Polls `url` until it answers (any HTTP status) or the deadline passes. */
export async function waitForHttp(url: string, timeoutMs = HANG_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A self-contained nginx.conf: temp paths under `prefix`, `body` inside http { }. */
export function nginxConf(prefix: string, body: string): string {
  return `worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
${body}
}
`;
}
