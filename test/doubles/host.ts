/**
 * A host like PEC's backend: for each finished record it builds the FHIR document Bundle (RIA-R, RIA-C, RAC, RPM;
 * test/doubles/fhir-documents.ts), with the citizen's CNS or CPF and the identificador solicitante the module has
 * enabled, gets an RNDS token from the module, posts the Bundle to the services (`POST {services}/fhir/r4/Bundle`)
 * over real mutual TLS with the enabled certificate's PKCS#12, and reports the outcome to the module in the
 * CONTRACT.md *Sends* shape (`httpStatus` + the OperationOutcome as received + `rndsId`, or `failure`).
 *
 * Embedded, it talks to the module object (`getToken()`, `status()`, `recordSends()`); standalone, to its HTTP API:
 * `GET {base}/api/token` and `GET {base}/api/status` with the access token, `POST {base}/api/envios` with the
 * reporting token (RNDS_REPORTING_TOKEN), as an installation that keeps the two apart does.
 *
 * ```ts
 * const host = createHostDouble({ module: rnds, services: { url: services.url, ca: services.trustedCa },
 *   certificate: { pfx, passphrase }, cnes: '2204681', professionalCns: '980016287385192' });
 * const { send } = await host.send({ model: 'RAC', recordId: '2204681-1', patient: { cns: '700000000000005' } });
 * ```
 */
import https from 'node:https';
import type { RndsModule } from '../../module/index.js';
import { RndsError } from '../../module/errors.js';
import type { SendModel } from '../../module/enums.js';
import { buildBundle, type HostRecord } from './fhir-documents.js';

export type { HostRecord } from './fhir-documents.js';

/** What the host reports for one send (CONTRACT.md *Sends*). */
export interface ReportedSend {
  at: string;
  model: SendModel;
  recordId: string;
  httpStatus?: number;
  operationOutcome?: unknown;
  rndsId?: string;
  failure?: 'no-connection' | 'certificate-failure';
  detail?: string;
  cnes?: string;
}

export interface StandaloneModule {
  /** The module's base URL, e.g. `http://127.0.0.1:8080/gestao/rnds`. */
  baseUrl: string;
  /** The access token: the RNDS token and the Status (the identificador solicitante). */
  accessToken: string;
  /** RNDS_REPORTING_TOKEN: reports only. */
  reportingToken: string;
}

export interface HostDoubleOptions {
  module: RndsModule | StandaloneModule;
  /** The RNDS services base URL (`…/api`) and the CAs to trust for it. */
  services: { url: string; ca: string[] };
  /** The enabled certificate as the host holds it: the PKCS#12 and its password. */
  certificate: { pfx: Buffer; passphrase: string };
  /** The unit's CNES (author of every document). */
  cnes: string;
  /** The professional's CNS (the `Authorization` header). */
  professionalCns: string;
  /** The host's clock (each send's `at` is strictly later than the previous one). */
  now?: () => Date;
  /** How long the host waits for the services' answer before it reports `no-connection` (default 30 s). */
  timeoutMs?: number;
}

export interface HostSendResult {
  /** What the host reported. */
  send: ReportedSend;
  /** The module's answer to the report. */
  report: { accepted: number; duplicates: number };
  /** The Bundle posted (null when no token came). */
  bundle: Record<string, unknown> | null;
}

export interface HostDouble {
  /** Sends one record to RNDS and reports the outcome. */
  send(record: HostRecord): Promise<HostSendResult>;
  /** Sends the records one after another (PEC sends each as it is finished). */
  sendAll(records: HostRecord[]): Promise<HostSendResult[]>;
  /** Every send reported so far, in order. */
  readonly reported: readonly ReportedSend[];
}

const isEmbedded = (m: RndsModule | StandaloneModule): m is RndsModule => typeof (m as RndsModule).recordSends === 'function';

/** Where a token request ended: a token, or the failure the host reports (no token, nothing posted). */
type TokenResult = { token: string } | { failure: 'no-connection' | 'certificate-failure'; detail: string };

/** The module's token errors, as a host reads them: RNDS refused the certificate, or RNDS could not be reached. */
function tokenFailure(code: string, message: string): TokenResult {
  if (code === 'RNDS_CERTIFICATE_REJECTED') return { failure: 'certificate-failure', detail: code };
  if (code === 'RNDS_UNAVAILABLE') return { failure: 'no-connection', detail: code };
  throw new Error(`o módulo não deu o token da RNDS: ${code} ${message}`);
}

export function createHostDouble(options: HostDoubleOptions): HostDouble {
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 30_000;
  const reported: ReportedSend[] = [];
  let lastAtMs = 0;
  const mod = options.module;

  const standalone = async (path: string, init: RequestInit & { token: string }): Promise<{ status: number; body: unknown }> => {
    const m = mod as StandaloneModule;
    const res = await fetch(`${m.baseUrl}${path}`, { ...init, headers: { ...init.headers, authorization: `Bearer ${init.token}`, accept: 'application/json' } });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as unknown };
    } catch {
      return { status: res.status, body: text };
    }
  };

  const identificador = async (): Promise<string> => {
    const status = isEmbedded(mod) ? mod.status() : (await standalone('/api/status', { token: mod.accessToken })).body;
    const value = (status as { enabled?: { identificadorSolicitante?: string } | null }).enabled?.identificadorSolicitante;
    if (!value) throw new Error('nenhum certificado habilitado: o host não envia à RNDS');
    return value;
  };

  const token = async (): Promise<TokenResult> => {
    if (isEmbedded(mod)) {
      try {
        return { token: (await mod.getToken()).accessToken };
      } catch (error) {
        if (error instanceof RndsError) return tokenFailure(error.code, error.message);
        throw error;
      }
    }
    const res = await standalone('/api/token', { token: mod.accessToken });
    const body = res.body as { accessToken?: string; error?: { code: string; message: string } };
    if (res.status === 200 && typeof body.accessToken === 'string') return { token: body.accessToken };
    return tokenFailure(body.error?.code ?? String(res.status), body.error?.message ?? '');
  };

  /** POST the Bundle over mutual TLS; the answer as received, or the network error's code. */
  const post = (bundle: unknown, accessToken: string) =>
    new Promise<{ status: number; location: string | null; body: string; contentType: string } | { error: string }>((resolve) => {
      const payload = JSON.stringify(bundle);
      const req = https.request(`${options.services.url}/fhir/r4/Bundle`, {
        method: 'POST',
        pfx: options.certificate.pfx,
        passphrase: options.certificate.passphrase,
        ca: options.services.ca,
        agent: false,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': Buffer.byteLength(payload),
          'x-authorization-server': `Bearer ${accessToken}`,
          authorization: options.professionalCns,
        },
      });
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('sem resposta da RNDS'), { code: 'ETIMEDOUT' })));
      req.on('error', (error: Error & { code?: string }) => resolve({ error: error.code ?? error.message }));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (error: Error & { code?: string }) => resolve({ error: error.code ?? error.message }));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            location: typeof res.headers.location === 'string' ? res.headers.location : null,
            body: Buffer.concat(chunks).toString('utf8'),
            contentType: String(res.headers['content-type'] ?? ''),
          }),
        );
      });
      req.end(payload);
    });

  const report = async (send: ReportedSend): Promise<{ accepted: number; duplicates: number }> => {
    if (isEmbedded(mod)) return mod.recordSends({ envios: [send] });
    const res = await standalone('/api/envios', {
      token: mod.reportingToken,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ envios: [send] }),
    });
    if (res.status !== 200) throw new Error(`o módulo recusou o relato (${res.status}): ${JSON.stringify(res.body)}`);
    return res.body as { accepted: number; duplicates: number };
  };

  const send = async (record: HostRecord): Promise<HostSendResult> => {
    const sentAt = new Date(Math.max(now().getTime(), lastAtMs + 1));
    lastAtMs = sentAt.getTime();
    const base = { at: sentAt.toISOString(), model: record.model, recordId: record.recordId, cnes: options.cnes };
    let outcome: ReportedSend;
    let bundle: Record<string, unknown> | null = null;
    const got = await token();
    if ('failure' in got) {
      outcome = { ...base, failure: got.failure, detail: got.detail };
    } else {
      bundle = buildBundle(record, { identificadorSolicitante: await identificador(), cnes: options.cnes, professionalCns: options.professionalCns, now: sentAt });
      const answer = await post(bundle, got.token);
      if ('error' in answer) {
        outcome = { ...base, failure: 'no-connection', detail: answer.error };
      } else {
        outcome = { ...base, httpStatus: answer.status };
        if (answer.location) outcome.rndsId = answer.location;
        if (/json/i.test(answer.contentType) && answer.body !== '') {
          try {
            outcome.operationOutcome = JSON.parse(answer.body) as unknown;
          } catch {
            // Not JSON after all (a proxy's page): the status alone is reported.
          }
        }
      }
    }
    const result = await report(outcome);
    reported.push(outcome);
    return { send: outcome, report: result, bundle };
  };

  return {
    send,
    async sendAll(records) {
      const results: HostSendResult[] = [];
      for (const record of records) results.push(await send(record));
      return results;
    },
    get reported() {
      return reported;
    },
  };
}
