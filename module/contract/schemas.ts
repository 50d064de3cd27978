/**
 * The JSON the module answers with, as zod schemas: the one description the types (types.ts), the state file's
 * checks (state/schema.ts), the contract's response tests and the generated documents (docs/openapi.json,
 * docs/CONTRACT.md, by `npm run contract`) all come from. Objects are strict: a field the code sends but this file
 * does not name fails the contract test instead of going out undocumented.
 */
import { z } from 'zod';
import {
  ALERT_CHANNELS,
  CONNECTION_STATUSES,
  CONTRA_CHAVE_ORIGINS,
  ENTRY_STATUSES,
  ENVIRONMENTS,
  PROBLEM_CODES,
  PROBLEM_SEVERITIES,
  SEND_MODELS,
  SEND_STATUSES,
  SERVICES,
  STATES,
  STEP_NAMES,
  TAB_MODELS,
} from '../enums.js';
import { ERROR_CODES } from '../errors.js';
import { CERTIFICATE_WARNING_CODES } from '../certificates/warnings.js';

/** The schemas that get a name in the generated documents (`components.schemas`). */
export const contractRegistry = z.registry<{ id: string; description?: string }>();

const isoDate = z.iso.datetime({ offset: true });
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

const ServiceSchema = z.enum(SERVICES).register(contractRegistry, { id: 'Service' });
const EnvironmentSchema = z.enum(ENVIRONMENTS).register(contractRegistry, { id: 'Environment' });
export const StateSchema = z.enum(STATES).register(contractRegistry, { id: 'State' });
const EntryStatusSchema = z.enum(ENTRY_STATUSES).register(contractRegistry, { id: 'EntryStatus' });
const ProblemCodeSchema = z.enum(PROBLEM_CODES).register(contractRegistry, { id: 'ProblemCode' });
const ProblemSeveritySchema = z.enum(PROBLEM_SEVERITIES).register(contractRegistry, {
  id: 'ProblemSeverity',
  description: '`critical` problems make an enabled state `degraded`; `warning` ones do not.',
});
export const ContraChaveOriginSchema = z.enum(CONTRA_CHAVE_ORIGINS).register(contractRegistry, {
  id: 'ContraChaveOrigin',
  description: "`instalacao`: the installation's own value; `gerada`: a test value generated until one is given.",
});
const ConnectionStatusSchema = z.enum(CONNECTION_STATUSES).register(contractRegistry, { id: 'ConnectionStatus' });
const StepNameSchema = z.enum(STEP_NAMES).register(contractRegistry, { id: 'StepName' });
export const AlertChannelSchema = z.enum(ALERT_CHANNELS).register(contractRegistry, { id: 'AlertChannel' });
const ErrorCodeSchema = z.enum(ERROR_CODES).register(contractRegistry, { id: 'ErrorCode' });

export const EntrySchema = z
  .strictObject({
    file: z.string(),
    size: z.number().int().min(0),
    modifiedAt: isoDate,
    /** Present when `status` is `ready`. */
    sha256: sha256.optional(),
    status: EntryStatusSchema,
    /** Every entry that is not `ready`: a pt-BR sentence that says what to do. */
    reason: z.string().optional(),
  })
  .register(contractRegistry, {
    id: 'Entry',
    description: 'One `.pfx`/`.p12` file, or certificate-related file that cannot be enabled (`unusable`), in the chaves folder.',
  });

export const CertificateSummarySchema = z
  .strictObject({
    subject: z.string(),
    commonName: z.string(),
    cnpj: z.string().nullable(),
    /** Razão social (ICP-Brasil CN before ':'), when known. */
    razaoSocial: z.string().nullable(),
    issuer: z.string(),
    serialNumber: z.string(),
    notBefore: isoDate,
    notAfter: isoDate,
    daysLeft: z.number().int(),
    /** SHA-256 of the file, 64 lowercase hex. */
    sha256,
    /** The wrong kind of certificate or file, with what to do (absent when there is none). A warning, never a refusal. */
    warnings: z.array(z.strictObject({ code: z.enum(CERTIFICATE_WARNING_CODES), message: z.string() })).optional(),
  })
  .register(contractRegistry, { id: 'CertificateSummary', description: 'What Status shows about a certificate.' });

export const EnabledInfoSchema = z
  .strictObject({
    file: z.string().min(1),
    identificadorSolicitante: z.string(),
    services: z.array(ServiceSchema).min(1),
    environment: EnvironmentSchema,
    enabledAt: isoDate,
    certificate: CertificateSummarySchema,
  })
  .register(contractRegistry, { id: 'EnabledInfo' });

export const ConnectionStepSchema = z
  .strictObject({
    step: StepNameSchema,
    /** What was tried, pt-BR. */
    label: z.string(),
    ok: z.boolean(),
    /** Milliseconds the step took. */
    ms: z.number().min(0),
    /** pt-BR detail: the address found, the server certificate, the HTTP status… */
    detail: z.string().optional(),
  })
  .register(contractRegistry, { id: 'ConnectionStep', description: 'One step of a token request, with its timing.' });

export const ServiceConnectionSchema = z
  .strictObject({
    service: ServiceSchema,
    status: ConnectionStatusSchema,
    message: z.string(),
    detail: z.string(),
    steps: z.array(ConnectionStepSchema).optional(),
  })
  .register(contractRegistry, { id: 'ServiceConnection', description: 'The connection result for one enabled service.' });

export const ConnectionSchema = z
  .strictObject({
    status: ConnectionStatusSchema,
    message: z.string(),
    detail: z.string(),
    checkedAt: isoDate,
    environment: EnvironmentSchema,
    /** How the servers were reached: `direto` or `proxy host:port` (never the proxy's password). */
    via: z.string().optional(),
    /** One result per enabled service; the top-level fields are RNDS's when RNDS is enabled, else CADSUS's. */
    services: z.array(ServiceConnectionSchema).optional(),
    /** The steps of the top-level service's request, with timings. */
    steps: z.array(ConnectionStepSchema).optional(),
  })
  .register(contractRegistry, { id: 'Connection' });

export const ClockSkewSchema = z
  .strictObject({
    /** This server's clock minus RNDS's (its HTTP `Date`), in whole seconds: positive when this server is ahead. */
    skewSeconds: z.number().int(),
    /** When it was measured (this server's clock). */
    measuredAt: isoDate,
  })
  .register(contractRegistry, {
    id: 'ClockSkew',
    description: "The RNDS server's clock against this server's at the last token request or connection test; above 60 s either way, the problem CLOCK_SKEW.",
  });

export const ProblemSchema = z
  .strictObject({ code: ProblemCodeSchema, severity: ProblemSeveritySchema, message: z.string() })
  .register(contractRegistry, { id: 'Problem' });

export const ChavesDirInfoSchema = z
  .strictObject({ path: z.string(), exists: z.boolean(), readable: z.boolean() })
  .register(contractRegistry, { id: 'ChavesDirInfo' });

export const RenewalInfoSchema = z
  .strictObject({
    file: z.string(),
    /** SHA-256 of the renewed file: the switch refuses if the file changed since. */
    sha256,
    /** True when the renewed certificate overwrote the enabled file (same name, new content). */
    sameFile: z.boolean(),
    certificate: CertificateSummarySchema,
  })
  .register(contractRegistry, {
    id: 'RenewalInfo',
    description: 'A renewed certificate waiting to be used: same CA and CNPJ as the enabled one, a later expiry, opens with the stored password.',
  });

/** A count for every channel (zod's record over an enum requires each key). */
const perChannel = z.record(AlertChannelSchema, z.number().int().min(0));

export const AlertsInfoSchema = z
  .strictObject({
    channels: z.array(AlertChannelSchema),
    /** Deliveries still being tried (with backoff). */
    pending: z.number().int().min(0),
    /** Deliveries that succeeded, per channel, since start. */
    sent: perChannel,
    /** Deliveries that failed for good (after every retry), per channel, since start. */
    failed: perChannel,
    /** The last delivery that failed for good, kept across restarts; null when none or a later one succeeded. */
    lastFailure: z.strictObject({ channel: AlertChannelSchema, event: z.string(), at: isoDate, message: z.string() }).nullable(),
  })
  .register(contractRegistry, { id: 'AlertsInfo', description: 'Alert delivery by e-mail and webhook; absent when no alert channel is configured.' });

export const StatusSchema = z
  .strictObject({
    state: StateSchema,
    contraChave: z.string(),
    contraChaveOrigin: ContraChaveOriginSchema,
    chavesDir: ChavesDirInfoSchema,
    certificates: z.array(EntrySchema),
    enabled: EnabledInfoSchema.nullable(),
    connection: ConnectionSchema.nullable(),
    problems: z.array(ProblemSchema),
    /** A renewed certificate ready to replace the enabled one. */
    renewal: RenewalInfoSchema.nullable().optional(),
    /** Alert delivery; absent when no alert channel is configured. */
    alerts: AlertsInfoSchema.optional(),
    /** The last clock comparison with RNDS; absent while nothing is enabled or before the first answer from RNDS. */
    clock: ClockSkewSchema.optional(),
  })
  .register(contractRegistry, { id: 'Status' });

export const CertificatesAnswerSchema = z
  .strictObject({ certificates: z.array(EntrySchema) })
  .register(contractRegistry, { id: 'CertificatesAnswer' });

export const ConnectionAnswerSchema = z
  .strictObject({ connection: ConnectionSchema })
  .register(contractRegistry, { id: 'ConnectionAnswer' });

export const HealthSchema = z
  .strictObject({ status: z.literal('ok'), rnds: StateSchema })
  .register(contractRegistry, { id: 'Health', description: 'Public: says nothing secret.' });

export const TokenAnswerSchema = z
  .strictObject({ accessToken: z.string(), tokenType: z.string(), expiresAt: isoDate })
  .register(contractRegistry, { id: 'TokenAnswer', description: 'The RNDS access token, for Bearer callers only.' });

export const ContraChaveRequestSchema = z
  .strictObject({ contraChave: z.string() })
  .register(contractRegistry, { id: 'ContraChaveRequest', description: "The installation's contra-chave as PEC shows it (spaces and letter case accepted)." });

export const ErrorSchema = z
  .strictObject({
    error: z.strictObject({
      code: ErrorCodeSchema,
      /** pt-BR, says what to do next. */
      message: z.string(),
      /** Per-field pt-BR messages (INVALID_INPUT, and errors that belong next to one field). */
      fields: z.record(z.string(), z.string()).optional(),
    }),
  })
  .register(contractRegistry, { id: 'Error' });

const SendModelSchema = z.enum(SEND_MODELS).register(contractRegistry, { id: 'SendModel', description: 'The kind of record sent to RNDS.' });
const TabModelSchema = z.enum(TAB_MODELS).register(contractRegistry, { id: 'TabModel', description: 'The RNDS tab’s models: RIA counts RIA-C and RIA-R.' });
const SendStatusSchema = z.enum(SEND_STATUSES).register(contractRegistry, { id: 'SendStatus', description: 'A send’s status, derived from its answer and codes.' });
const SendCountsSchema = z.strictObject({ model: TabModelSchema, total: z.int().min(0), sent: z.int().min(0), notSent: z.int().min(0) });

export const SendsSummarySchema = z
  .strictObject({
    /** From the latest direct send; null while nothing is enabled or nothing was reported. */
    lastSend: z
      .strictObject({
        at: isoDate,
        model: SendModelSchema,
        status: z.enum(['ok', 'no-connection', 'certificate-expired', 'certificate-failure']),
        message: z.enum(['Conexão bem-sucedida', 'Sem conexão', 'Certificado expirado', 'Falha no certificado']),
      })
      .nullable(),
    /** Always RIA, RAC, RPM, in this order. */
    models: z.tuple([SendCountsSchema, SendCountsSchema, SendCountsSchema]),
  })
  .register(contractRegistry, { id: 'SendsSummary', description: 'The RNDS tab’s summary: the last direct send and the records per model.' });

export const SendsRecordedSchema = z
  .strictObject({ accepted: z.int().min(0), duplicates: z.int().min(0) })
  .register(contractRegistry, { id: 'SendsRecorded', description: 'Sends stored, and those already stored (same model, recordId and at).' });

export const SendErrorSchema = z
  .strictObject({
    at: isoDate,
    model: SendModelSchema,
    recordId: z.string(),
    status: SendStatusSchema,
    codes: z.array(z.string()),
    /** RNDS's own text (or the host's detail). */
    message: z.string(),
    /** O que fazer, pt-BR. */
    action: z.string(),
    /** Quem resolve, pt-BR. */
    group: z.string(),
  })
  .register(contractRegistry, { id: 'SendError', description: 'A record not sent, by its latest send, with the dictionary’s advice.' });

export const SendErrorsAnswerSchema = z.strictObject({ erros: z.array(SendErrorSchema) }).register(contractRegistry, { id: 'SendErrorsAnswer' });
