/**
 * Shapes of the public contract (docs/CONTRACT.md). JSON keys English, RNDS terms in Portuguese. The shapes are the
 * zod schemas of contract/schemas.ts (what the tests check real answers against and the documents are generated
 * from); the closed sets of values are the tuples of enums.ts.
 */
import type { z } from 'zod';
import type {
  AlertsInfoSchema,
  CertificateSummarySchema,
  ChavesDirInfoSchema,
  ConnectionSchema,
  ConnectionStepSchema,
  EnabledInfoSchema,
  EntrySchema,
  ProblemSchema,
  RenewalInfoSchema,
  ServiceConnectionSchema,
  StatusSchema,
} from './contract/schemas.js';

import { CONNECTION_MESSAGES as MESSAGES } from './enums.js';
import type * as enums from './enums.js';

// Declared here (not re-exported) so the package's types.d.ts names each one, as the public-exports test pins.
export type Service = enums.Service;
export type Environment = enums.Environment;
export type State = enums.State;
export type EntryStatus = enums.EntryStatus;
export type ProblemCode = enums.ProblemCode;
/** `critical` problems make an enabled state `degraded`; `warning` ones do not. */
export type ProblemSeverity = enums.ProblemSeverity;
/** `instalacao`: the installation's own value (host option, RNDS_CONTRA_CHAVE, API or screen); `gerada`: a test value. */
export type ContraChaveOrigin = enums.ContraChaveOrigin;
export type ConnectionStatus = enums.ConnectionStatus;
/** The steps of a token request, in order (see module/rnds/steps.ts). */
export type StepName = enums.StepName;
export type AlertChannel = enums.AlertChannel;
export const CONNECTION_MESSAGES = MESSAGES;

/** One `.pfx`/`.p12` file, or certificate-related file that cannot be enabled (`unusable`), in the chaves folder. */
export type Entry = z.output<typeof EntrySchema>;
export type Problem = z.output<typeof ProblemSchema>;
/** What Status shows about the enabled certificate. */
export type CertificateSummary = z.output<typeof CertificateSummarySchema>;
export type EnabledInfo = z.output<typeof EnabledInfoSchema>;
/** One step of a connection test: what was tried (pt-BR), whether it worked, how long it took. */
export type ConnectionStep = z.output<typeof ConnectionStepSchema>;
/** The result for one enabled service (RNDS or CADSUS). */
export type ServiceConnection = z.output<typeof ServiceConnectionSchema>;
export type Connection = z.output<typeof ConnectionSchema>;
export type ChavesDirInfo = z.output<typeof ChavesDirInfoSchema>;
/**
 * A renewed certificate found in the chaves folder: same CNPJ as the enabled one, a later expiry, and it opens with
 * the stored password, so it can replace the enabled one with one click (no password typed again).
 */
export type RenewalInfo = z.output<typeof RenewalInfoSchema>;
/** Alerts by e-mail and webhook (beyond the contract): what is configured, what was delivered and what failed. */
export type AlertsInfo = z.output<typeof AlertsInfoSchema>;
export type Status = z.output<typeof StatusSchema>;
