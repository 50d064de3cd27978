/** Asks the running server for its /health (`npm run status`): is it up, and what state does it report? */
import http from 'node:http';
import https from 'node:https';
import type { StandaloneEnv } from '../../module/config/env.js';
import { formatNumber } from '../../module/present/index.js';
import { errorText } from './cli.js';

export interface ServerCheck {
  /** False when the check was skipped (`--no-server-check`) or impossible (PORT=0). */
  checked: boolean;
  /** null when not checked. */
  reachable: boolean | null;
  url: string | null;
  /** What /health answered for `rnds` (enabled/disabled/degraded), when it answered. */
  rnds?: string;
  /** Why it did not answer (pt-BR). */
  error?: string;
}

/** The health URL of the standalone server, or null when it cannot be known (PORT=0 picks a random port). */
export function defaultHealthUrl(env: StandaloneEnv): string | null {
  if (env.PORT === 0) return null;
  let host = env.HOST;
  // A wildcard bind answers on loopback; the check runs on the same machine.
  if (host === '0.0.0.0' || host === '::' || host === '[::]') host = '127.0.0.1';
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  const base = env.RNDS_BASE_PATH === '/' ? '' : env.RNDS_BASE_PATH;
  return `http://${host}:${env.PORT}${base}/health`;
}

/**
 * GET /health with a short timeout. node:http rather than fetch: fetch refuses the "bad ports" of the WHATWG list
 * (6000, 6665–6669…), and PORT may be any of them.
 */
export async function checkServer(url: string, timeoutMs: number): Promise<ServerCheck> {
  let answer: { status: number; body: string };
  try {
    // /health is a few bytes; anything long is not the pec-rnds.
    answer = await get(url, timeoutMs, { maxChars: 4096 });
  } catch (error) {
    return { checked: true, reachable: false, url, error: describeRequestError(error, timeoutMs) };
  }
  if (answer.status !== 200) return { checked: true, reachable: false, url, error: `respondeu HTTP ${answer.status} em vez de 200` };
  let body: { status?: unknown; rnds?: unknown } | null = null;
  try {
    body = JSON.parse(answer.body) as { status?: unknown; rnds?: unknown };
  } catch {
    // not JSON: some other program on that port
  }
  if (body?.status !== 'ok') return { checked: true, reachable: false, url, error: 'a resposta não é a do pec-rnds (outro programa nessa porta?)' };
  return { checked: true, reachable: true, url, ...(typeof body.rnds === 'string' ? { rnds: body.rnds } : {}) };
}

/**
 * A GET answered as text, for this check's calls to the server (/health, /api/status, /api/envios): node:http (see
 * checkServer), a timeout, an optional Bearer token, and at most `maxChars` of the body kept.
 */
export function get(url: string, timeoutMs: number, options: { token?: string; maxChars?: number } = {}): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const maxChars = options.maxChars ?? Infinity;
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : http;
    const request = client.get(url, { headers, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < maxChars) body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    request.on('error', reject);
  });
}

function describeRequestError(error: unknown, timeoutMs: number): string {
  const code = (error as { code?: string })?.code;
  switch (code) {
    case 'TIMEOUT':
      return `não respondeu em ${formatNumber(timeoutMs / 1000)} s`;
    case 'ECONNREFUSED':
      return 'conexão recusada (o serviço não está rodando nessa porta)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'endereço não encontrado (confira HOST)';
    case 'ECONNRESET':
      return 'a conexão foi interrompida';
    default:
      return code ? `erro ${code}` : errorText(error);
  }
}

export function notChecked(url: string | null): ServerCheck {
  return { checked: false, reachable: null, url };
}
