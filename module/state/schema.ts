import { z } from 'zod';
import { ALERT_KINDS, ALERT_SEVERITIES, DELIVERY_STATES, type AlertKind, type ContraChaveOrigin } from '../enums.js';
import { AlertChannelSchema, ClockSkewSchema, ConnectionSchema, ContraChaveOriginSchema, EnabledInfoSchema, StateSchema } from '../contract/schemas.js';
import type { Connection, EnabledInfo } from '../types.js';

/** 8 groups of 4 ASCII letters or digits joined by `-`, as PEC shows it and e-Gestor AB expects it (case as given). */
export const CONTRA_CHAVE_PATTERN = /^[0-9A-Za-z]{4}(-[0-9A-Za-z]{4}){7}$/;

const isoDate = z.iso.datetime({ offset: true });

export const SecretEnvelopeSchema = z.strictObject({
  v: z.literal(1),
  alg: z.literal('A256GCM'),
  iv: z.base64(),
  tag: z.base64(),
  data: z.base64(),
});

/**
 * What `enabled.secret` holds on disk: an envelope as `seal` made it, or — when the stored one was damaged (one flipped
 * bit is enough to break its base64) — the damaged value kept as it was read. A damaged secret must never stop the
 * start: the rest of the state (the contra-chave above all) stays usable and the Status asks for the password again.
 */
const DamagedSecretSchema = z.strictObject({ damaged: z.json() });
export const StoredSecretSchema = z.union([SecretEnvelopeSchema, DamagedSecretSchema]);

export { ALERT_KINDS, type AlertKind };
const DeliverySchema = z.enum(DELIVERY_STATES);

/** One alert event, remembered so that it is sent once (and resumed after a restart if still pending). */
export const AlertEventSchema = z.strictObject({
  key: z.string().min(1).max(200),
  kind: z.enum(ALERT_KINDS),
  at: isoDate,
  severity: z.enum(ALERT_SEVERITIES),
  subject: z.string().max(500),
  text: z.string().max(8000),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.null()])),
  deliveries: z.partialRecord(AlertChannelSchema, DeliverySchema),
});

/** What the alerts remember across restarts: the last state seen, the connection-failure streak, the events. */
export const AlertMemorySchema = z.strictObject({
  lastState: StateSchema.nullable(),
  connectionCheckedAt: isoDate.nullable(),
  connectionFailures: z.number().int().min(0),
  connectionFailing: z.boolean(),
  // Optional: memories written before the clock alert existed still load.
  clockSkewing: z.boolean().optional(),
  // Optional, like clockSkewing: RNDS_CREDENTIAL_REFUSED was in the last Status seen (its alert sent).
  credentialRefused: z.boolean().optional(),
  // Optional: a `degraded` alert was sent and no `recovered` since (absent: as lastState === 'degraded' said before).
  degradedAlerted: z.boolean().optional(),
  lastFailure: z
    .strictObject({ channel: AlertChannelSchema, event: z.string(), at: isoDate, message: z.string() })
    .nullable(),
  events: z.array(AlertEventSchema),
});
export type AlertEvent = z.infer<typeof AlertEventSchema>;
export type AlertMemory = z.infer<typeof AlertMemorySchema>;

// Strict objects everywhere: an unknown field means a file we do not understand, and loading it
// with the field stripped would silently lose it at the next write.
export const PersistedStateSchema = z.strictObject({
  version: z.literal(1),
  contraChave: z.string().regex(CONTRA_CHAVE_PATTERN),
  // Absent in files written before the origin was kept: those hold a generated value unless configured since.
  contraChaveOrigin: ContraChaveOriginSchema.optional(),
  // Set when the contra-chave changed while a certificate was enabled; cleared by the next enable or disable.
  contraChaveChanged: z.strictObject({ previous: z.string().regex(CONTRA_CHAVE_PATTERN), changedAt: isoDate }).nullable().optional(),
  createdAt: isoDate,
  enabled: EnabledInfoSchema.extend({
    secret: StoredSecretSchema,
    // The certificate (base64 DER) that signed the enabled one, from its file's chain: a renewal must be signed by it.
    // Absent in files written before it was kept, and when the enabled file carried no issuer.
    issuerCertificate: z.base64().max(16_384).optional(),
  }).nullable(),
  connection: ConnectionSchema.nullable(),
  // Optional: state files written before alerts existed still load.
  alerts: AlertMemorySchema.optional(),
  // The last clock comparison with RNDS (optional: older files have none).
  clock: ClockSkewSchema.nullable().optional(),
});

/** The sealed certificate password: AES-256-GCM, base64 fields. */
export interface SecretEnvelope {
  v: 1;
  alg: 'A256GCM';
  iv: string;
  tag: string;
  data: string;
}

/** An envelope that could not be understood when the state was loaded, kept as read. */
export type DamagedSecret = z.infer<typeof DamagedSecretSchema>;
export type StoredSecret = SecretEnvelope | DamagedSecret;

/** Everything pec-rnds keeps across restarts, in `<dataDir>/state.json`. */
export interface PersistedState {
  version: 1;
  contraChave: string;
  contraChaveOrigin?: ContraChaveOrigin;
  contraChaveChanged?: { previous: string; changedAt: string } | null;
  createdAt: string;
  enabled: null | (EnabledInfo & { secret: StoredSecret; issuerCertificate?: string });
  connection: Connection | null;
  alerts?: AlertMemory;
  clock?: { skewSeconds: number; measuredAt: string } | null;
}

// Compile-time guard: the schemas must describe exactly the interfaces above.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShapes: [
  Same<z.infer<typeof SecretEnvelopeSchema>, SecretEnvelope>,
  Same<z.infer<typeof PersistedStateSchema>, PersistedState>,
] = [true, true];
void sameShapes;
