/**
 * The durable state of pec-rnds: the state file (contra-chave, enabled certificate, last
 * connection test), the secret box for the certificate password, the audit trail and the
 * standalone access token. No HTTP here.
 */
export { StateStore, type StateStoreOptions, type StateMutator } from './store.js';
export { SecretBox, CERTIFICATE_PASSWORD_AAD } from './secret-box.js';
export { AuditTrail, AUDIT_DESCRIPTIONS, type AuditAction, type AuditInput, type AuditRecord } from './audit.js';
export { loadOrCreateAccessToken } from './access-token.js';
export { generateContraChave, isContraChave } from './contra-chave.js';
export { FILE_NAMES } from './files.js';
export { REAL_FS, type FsSeam, type FsOpName } from './fs-seam.js';
export {
  PersistedStateSchema,
  SecretEnvelopeSchema,
  AlertMemorySchema,
  ALERT_KINDS,
  type AlertEvent,
  type AlertKind,
  type AlertMemory,
  CONTRA_CHAVE_PATTERN,
  type PersistedState,
  type SecretEnvelope,
  type StoredSecret,
} from './schema.js';
