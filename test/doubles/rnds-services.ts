/**
 * A local double of RNDS's services (`ehr-services*.saude.gov.br/api`): an https server on 127.0.0.1, port 0, that
 * demands a client certificate (mutual TLS, the same test PKI as the auth double) and answers the FHIR endpoint
 * `POST /api/fhir/r4/Bundle` like RNDS: the headers RNDS requires (`X-Authorization-Server: Bearer <token>` with a
 * token the auth double issued, `Authorization: <CNS do profissional>`, `Content-Type: application/json`), a FHIR
 * document Bundle whose first entry is a Composition with a model's profile (test/doubles/fhir-documents.ts), then
 * `201` with a `Location`, or an OperationOutcome with RNDS's codes:
 *   - an identificador solicitante (`BRRNDS-<id>`) it was not told to authorise → 403 `(EHR-ERR881) …`;
 *   - the same Bundle identifier twice → 422 `(EDS-MSG010) Identifier duplicado.`;
 *   - a citizen it was told CADSUS does not know → 422 `(EHR-ERR983) Paciente não encontrado: Patient/<id>`;
 *   - an unknown profile → 422 `(VAL-PROFILE) …`; a token the auth double did not issue → 401 `(EHR-ERR884) …`.
 * Scenarios switch at run time (`down`: connections refused; `unavailable`: 503 ERR993; `no-answer`: held until
 * `close()`); everything it sees is recorded.
 *
 * ```ts
 * const services = await startRndsServicesDouble({ pki, auth, extraClientCaPem, authorizedSolicitantes: ['3167'] });
 * services.unknownPatients.add('700000000000005');
 * await services.setScenario('down');
 * …
 * await services.close();
 * ```
 */
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { SendModel } from '../../module/enums.js';
import { createRndsTestPki, type RndsTestPki } from './pki.js';
import { INDIVIDUO_SYSTEM, NAMING_SYSTEM_BRRNDS, modelOfProfile } from './fhir-documents.js';

export type RndsServicesScenario =
  /** Validates and answers like RNDS (201 or an OperationOutcome). */
  | 'normal'
  /** 503 with `(EHR-ERR993) EHR Data Services não está disponível`. */
  | 'unavailable'
  /** Accepts the request and never answers (until `close()` or another scenario). */
  | 'no-answer'
  /** Not listening: connections are refused (the port is taken again when the scenario changes back). */
  | 'down';

export interface RndsServicesDoubleOptions {
  pki?: RndsTestPki;
  /** Extra client CA(s) trusted besides the PKI's own (e.g. the committed PKCS#12 fixtures' CA). */
  extraClientCaPem?: string | string[];
  /** The auth double whose tokens are valid here; without it, any `Bearer` token is accepted. */
  auth?: { readonly issuedTokens: readonly string[] };
  /** The identificadores solicitantes RNDS knows for this credential (default: none, every Bundle gets ERR881). */
  authorizedSolicitantes?: Iterable<string>;
  /** CNS/CPF values CADSUS does not know (ERR983). */
  unknownPatients?: Iterable<string>;
  scenario?: RndsServicesScenario;
}

export interface RecordedServicesRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  clientCommonName: string | null;
  scenario: RndsServicesScenario;
  /** The body parsed as JSON, null when it was not JSON. */
  body: unknown;
  /** What was answered (null while held by `no-answer`). */
  answer: { status: number; location: string | null; diagnostics: string[] } | null;
}

export interface AcceptedDocument {
  rndsId: string;
  model: SendModel;
  identifier: { system: string; value: string };
  /** The citizen's CNS or CPF as sent. */
  patient: string;
}

export interface RndsServicesDouble {
  /** The services base URL, like `https://ehr-services.hmg.saude.gov.br/api`: `https://127.0.0.1:<port>/api`. */
  readonly url: string;
  readonly port: number;
  readonly pki: RndsTestPki;
  /** The CA bundle a client needs to trust this double. */
  readonly trustedCa: string[];
  readonly scenario: RndsServicesScenario;
  /** Switches the scenario; resolves once the server listens (or stopped listening, for `down`). */
  setScenario(scenario: RndsServicesScenario): Promise<void>;
  /** The identificadores solicitantes accepted (mutable). */
  readonly authorizedSolicitantes: Set<string>;
  /** CNS/CPF values answered ERR983 (mutable). */
  readonly unknownPatients: Set<string>;
  readonly requests: readonly RecordedServicesRequest[];
  /** Documents stored (201), in order. */
  readonly accepted: readonly AcceptedDocument[];
  readonly connections: number;
  readonly tlsErrors: readonly { code: string | undefined; message: string }[];
  /** Forgets requests, connections, errors and stored documents; keeps the scenario and the sets. */
  reset(): void;
  close(): Promise<void>;
}

const BUNDLE_PATH = '/api/fhir/r4/Bundle';
const MAX_BODY = 5 * 1024 * 1024;

function outcome(code: string, diagnostics: string): { resourceType: 'OperationOutcome'; issue: Array<Record<string, string>> } {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}

type Answer = { status: number; body?: unknown; location?: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function startRndsServicesDouble(options: RndsServicesDoubleOptions = {}): Promise<RndsServicesDouble> {
  const pki = options.pki ?? createRndsTestPki();
  const extraCas = options.extraClientCaPem === undefined ? [] : [options.extraClientCaPem].flat();
  let scenario: RndsServicesScenario = options.scenario ?? 'normal';
  const authorizedSolicitantes = new Set(options.authorizedSolicitantes ?? []);
  const unknownPatients = new Set(options.unknownPatients ?? []);
  const requests: RecordedServicesRequest[] = [];
  const accepted: AcceptedDocument[] = [];
  const identifiers = new Set<string>();
  const tlsErrors: { code: string | undefined; message: string }[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;

  const server = https.createServer({
    key: pki.server.keyPem,
    cert: [pki.server.certPem, ...pki.server.chainPem].join('\n'),
    ca: [pki.clientCa.certPem, ...extraCas],
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  });
  server.on('connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', (error: Error & { code?: string }) => {
    tlsErrors.push({ code: error.code, message: error.message });
  });

  /** RNDS's checks, in its order: path, token, professional, content type, body, identificador, duplicate, citizen. */
  const decide = (req: IncomingMessage, body: unknown, rawOk: boolean): Answer => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== BUNDLE_PATH) return { status: 404, body: outcome('not-found', `Recurso não encontrado: ${path}`) };
    if (req.method !== 'POST') return { status: 405, body: outcome('not-supported', `Método ${req.method} não suportado`) };
    const bearer = /^Bearer (\S+)$/.exec(String(req.headers['x-authorization-server'] ?? ''))?.[1];
    if (bearer === undefined || (options.auth && !options.auth.issuedTokens.includes(bearer))) {
      return { status: 401, body: outcome('security', '(EHR-ERR884) Token não autorizado') };
    }
    if (!/^\d{15}$/.test(String(req.headers.authorization ?? ''))) {
      return { status: 400, body: outcome('required', 'O cabeçalho Authorization deve trazer o CNS do profissional (15 dígitos)') };
    }
    if (!/^application\/(fhir\+)?json\b/i.test(String(req.headers['content-type'] ?? ''))) {
      return { status: 415, body: outcome('not-supported', 'Content-Type deve ser application/json') };
    }
    if (!rawOk || !isObject(body)) return { status: 400, body: outcome('structure', 'O corpo não é um JSON válido') };
    const bad = (what: string): Answer => ({ status: 422, body: outcome('processing', `(VAL-PROFILE) Unable to find matching profile for Bundle: ${what}`) });
    if (body.resourceType !== 'Bundle') return bad('resourceType deve ser Bundle');
    if (body.type !== 'document') return bad('Bundle.type deve ser document');
    const entries = Array.isArray(body.entry) ? body.entry : [];
    const composition = isObject(entries[0]) && isObject(entries[0].resource) ? entries[0].resource : null;
    if (!composition || composition.resourceType !== 'Composition') return bad('a primeira entrada deve ser uma Composition');
    const profiles = isObject(composition.meta) && Array.isArray(composition.meta.profile) ? composition.meta.profile : [];
    const model = modelOfProfile(profiles[0]);
    if (model === null) return bad(`perfil desconhecido ${String(profiles[0])}`);
    const sections = Array.isArray(composition.section) ? composition.section : [];
    const references = sections.flatMap((s) => (isObject(s) && Array.isArray(s.entry) ? s.entry : [])).map((e) => (isObject(e) ? e.reference : undefined));
    const fullUrls = new Set(entries.map((e) => (isObject(e) ? e.fullUrl : undefined)));
    if (references.length === 0 || references.some((r) => typeof r !== 'string' || !fullUrls.has(r))) return bad('section.entry deve apontar para uma entrada do Bundle');
    const subject = isObject(composition.subject) && isObject(composition.subject.identifier) ? composition.subject.identifier : null;
    if (!subject || subject.system !== INDIVIDUO_SYSTEM || typeof subject.value !== 'string' || !/^(\d{15}|\d{11})$/.test(subject.value)) {
      return bad('Composition.subject deve identificar o indivíduo por CNS ou CPF');
    }
    const identifier = isObject(body.identifier) ? body.identifier : null;
    const system = typeof identifier?.system === 'string' ? identifier.system : '';
    const value = typeof identifier?.value === 'string' ? identifier.value : '';
    if (!system.startsWith(NAMING_SYSTEM_BRRNDS) || value === '') return bad('Bundle.identifier deve usar o sistema BRRNDS-<identificador solicitante>');
    const solicitante = system.slice(NAMING_SYSTEM_BRRNDS.length);
    if (!authorizedSolicitantes.has(solicitante)) {
      return { status: 403, body: outcome('forbidden', `(EHR-ERR881) O solicitante não possui autorização para utilizar esse sistema de origem: BRRNDS-${solicitante}`) };
    }
    const key = `${system}|${value}`;
    if (identifiers.has(key)) return { status: 422, body: outcome('duplicate', '(EDS-MSG010) Identifier duplicado.') };
    if (unknownPatients.has(subject.value)) {
      return { status: 422, body: outcome('processing', `(EHR-ERR983) Paciente não encontrado: Patient/${subject.value}`) };
    }
    identifiers.add(key);
    const rndsId = randomUUID();
    accepted.push({ rndsId, model, identifier: { system, value }, patient: subject.value });
    return { status: 201, location: `Composition/${rndsId}` };
  };

  const held: ServerResponse[] = [];

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const cn = peer && typeof peer.subject === 'object' ? peer.subject.CN : undefined;
    const record: RecordedServicesRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: { ...req.headers },
      clientCommonName: Array.isArray(cn) ? (cn[0] ?? null) : (cn ?? null),
      scenario,
      body: null,
      answer: null,
    };
    requests.push(record);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      let body: unknown = null;
      let rawOk: boolean;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        rawOk = size <= MAX_BODY;
      } catch {
        rawOk = false;
      }
      record.body = body;
      if (record.scenario === 'no-answer') {
        held.push(res);
        return;
      }
      const answer: Answer =
        record.scenario === 'unavailable' ? { status: 503, body: outcome('transient', '(EHR-ERR993) EHR Data Services não está disponível') } : decide(req, body, rawOk);
      const diagnostics = isObject(answer.body) && Array.isArray(answer.body.issue) ? answer.body.issue.map((i: { diagnostics?: string }) => i.diagnostics ?? '') : [];
      record.answer = { status: answer.status, location: answer.location ?? null, diagnostics };
      const headers: Record<string, string | number> = {};
      if (answer.location) headers.location = answer.location;
      if (answer.body === undefined) {
        res.writeHead(answer.status, { ...headers, 'content-length': 0 });
        res.end();
        return;
      }
      const text = JSON.stringify(answer.body);
      res.writeHead(answer.status, { ...headers, 'content-type': 'application/fhir+json;charset=UTF-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      // close() waits for open connections; they are dropped so that the port stops answering at once.
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });

  // The port is taken first even when starting `down`: `setScenario` listens on it again.
  await listen(0);
  const { port } = server.address() as AddressInfo;
  if (scenario === 'down') await stopListening();

  let closed: Promise<void> | null = null;
  return {
    url: `https://127.0.0.1:${port}/api`,
    port,
    pki,
    trustedCa: [pki.serverCa.certPem],
    get scenario() {
      return scenario;
    },
    async setScenario(next: RndsServicesScenario) {
      const was = scenario;
      scenario = next;
      if (next !== 'no-answer') for (const res of held.splice(0)) res.destroy();
      if (was !== 'down' && next === 'down') await stopListening();
      if (was === 'down' && next !== 'down') await listen(port);
    },
    authorizedSolicitantes,
    unknownPatients,
    get requests() {
      return requests;
    },
    get accepted() {
      return accepted;
    },
    get connections() {
      return connections;
    },
    get tlsErrors() {
      return tlsErrors;
    },
    reset() {
      requests.length = 0;
      accepted.length = 0;
      identifiers.clear();
      tlsErrors.length = 0;
      connections = 0;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const res of held.splice(0)) res.destroy();
        if (!server.listening) {
          resolve();
          return;
        }
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}
