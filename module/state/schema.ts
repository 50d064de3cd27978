import { z } from 'zod';
import type { CertificateSummary, Connection, EnabledInfo } from '../types.js';

/** 8 groups of 4 lowercase hex digits, as PEC shows it and e-Gestor AB expects it. */
export const CONTRA_CHAVE_PATTERN = /^[0-9a-f]{4}(-[0-9a-f]{4}){7}$/;

const isoDate = z.iso.datetime({ offset: true });

export const SecretEnvelopeSchema = z.strictObject({
  v: z.literal(1),
  alg: z.literal('A256GCM'),
  iv: z.base64(),
  tag: z.base64(),
  data: z.base64(),
});

export const CertificateSummarySchema = z.strictObject({
  subject: z.string(),
  commonName: z.string(),
  cnpj: z.string().nullable(),
  razaoSocial: z.string().nullable(),
  issuer: z.string(),
  serialNumber: z.string(),
  notBefore: isoDate,
  notAfter: isoDate,
  daysLeft: z.number().int(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const EnvironmentSchema = z.enum(['homologacao', 'producao']);

export const EnabledInfoSchema = z.strictObject({
  file: z.string().min(1),
  identificadorSolicitante: z.string(),
  services: z.array(z.enum(['RNDS', 'CADSUS'])).min(1),
  environment: EnvironmentSchema,
  enabledAt: isoDate,
  certificate: CertificateSummarySchema,
});

const ConnectionStatusSchema = z.enum(['ok', 'no-connection', 'certificate-expired', 'certificate-failure']);

const ConnectionStepSchema = z.strictObject({
  step: z.enum(['dns', 'tcp', 'proxy-connect', 'tls', 'client-certificate', 'token']),
  label: z.string(),
  ok: z.boolean(),
  ms: z.number().min(0),
  detail: z.string().optional(),
});

export const ConnectionSchema = z.strictObject({
  status: ConnectionStatusSchema,
  message: z.string(),
  detail: z.string(),
  checkedAt: isoDate,
  environment: EnvironmentSchema,
  via: z.string().optional(),
  services: z
    .array(
      z.strictObject({
        service: z.enum(['RNDS', 'CADSUS']),
        status: ConnectionStatusSchema,
        message: z.string(),
        detail: z.string(),
        steps: z.array(ConnectionStepSchema).optional(),
      }),
    )
    .optional(),
  steps: z.array(ConnectionStepSchema).optional(),
});

// Strict objects everywhere: an unknown field means a file we do not understand, and loading it
// with the field stripped would silently lose it at the next write.
export const PersistedStateSchema = z.strictObject({
  version: z.literal(1),
  contraChave: z.string().regex(CONTRA_CHAVE_PATTERN),
  createdAt: isoDate,
  enabled: EnabledInfoSchema.extend({ secret: SecretEnvelopeSchema }).nullable(),
  connection: ConnectionSchema.nullable(),
});

/** The sealed certificate password: AES-256-GCM, base64 fields. */
export interface SecretEnvelope {
  v: 1;
  alg: 'A256GCM';
  iv: string;
  tag: string;
  data: string;
}

/** Everything pec-rnds keeps across restarts, in `<dataDir>/state.json`. */
export interface PersistedState {
  version: 1;
  contraChave: string;
  createdAt: string;
  enabled: null | (EnabledInfo & { secret: SecretEnvelope });
  connection: Connection | null;
}

// Compile-time guard: the schemas must describe exactly the contract's shapes (types.ts).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShapes: [
  Same<z.infer<typeof SecretEnvelopeSchema>, SecretEnvelope>,
  Same<z.infer<typeof CertificateSummarySchema>, CertificateSummary>,
  Same<z.infer<typeof EnabledInfoSchema>, EnabledInfo>,
  Same<z.infer<typeof ConnectionSchema>, Connection>,
  Same<z.infer<typeof PersistedStateSchema>, PersistedState>,
] = [true, true, true, true, true];
void sameShapes;
