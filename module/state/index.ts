/**
 * The durable state of pec-rnds: the state file (contra-chave, enabled certificate, last
 * connection test), the secret box for the certificate password, the audit trail and the
 * standalone access token. No HTTP here.
 */
export { StateStore } from './store.js';
export { SecretBox } from './secret-box.js';
export { AuditTrail, parseAuditLine, type AuditInput, type AuditRecord } from './audit.js';
export { loadOrCreateAccessToken } from './access-token.js';
export { generateContraChave } from './contra-chave.js';
export { FILE_NAMES } from './files.js';
export { lockOwner } from './lock.js';
export { type FsSeam, type FsOpName } from './fs-seam.js';
export {
  type AlertEvent,
  type AlertKind,
  type AlertMemory,
  type PersistedState,
  type SecretEnvelope,
} from './schema.js';
