/**
 * The use cases of the screen, composed: enable, disable, renew, contra-chave, connection test and token, status.
 * Plain data in, plain data out; `change` whenever the Status may have changed. Each use case is its own file around
 * the shared core (core.ts), which imports none of them.
 */
import type { RndsToken } from '../rnds/index.js';
import type { AlertsInfo, Connection, Status } from '../types.js';
import { EnablementCore, type EnablementDeps } from './core.js';
import { RenewalScan } from './renewal-scan.js';
import { StatusReader, type ClockRefusals, type DirectSendOutcome, type StatusSnapshot } from './status.js';
import { ConnectionTests } from './connection.js';
import { enable } from './enable.js';
import { disable } from './disable.js';
import { renew } from './renew.js';
import { adoptConfiguredContraChave, changeContraChave } from './contra-chave.js';

export type { EnablementDeps } from './core.js';
export { StatusSnapshot, statusFromState, type ClockRefusals, type DirectSendOutcome } from './status.js';
export { REQUIRED_MESSAGES, enableInputSchema, invalidInput, renewInputSchema, type EnableInput, type RenewInput } from './inputs.js';

export interface Enablement {
  /** The current Status, computed from the state, the folder and the clock. */
  status(): Status;
  /** The current Status with its JSON and ETag, made again only when something it reads changed. */
  statusSnapshot(): StatusSnapshot;
  /** Opens the chosen certificate with the password and, when it opens, makes it the one enabled certificate. */
  enable(input: unknown, actor: string): Promise<Status>;
  /** Turns RNDS off. The certificate file stays in the folder; the stored password is forgotten. */
  disable(actor: string): Promise<Status>;
  /** Switches to the renewed certificate found in the folder, with the stored password. */
  renew(input: unknown, actor: string): Promise<Status>;
  /** Sets the contra-chave (refused while a certificate is enabled); audited. */
  changeContraChave(input: unknown, actor: string, source?: 'api' | 'tela'): Promise<Status>;
  /** At start: the configured contra-chave wins over the stored one; audited. */
  adoptConfiguredContraChave(configured: string, source: string): Promise<void>;
  /** Asks RNDS for a token with the enabled certificate and keeps the result (Testar conexão). */
  testConnection(): Promise<Connection>;
  /** Starts a connection test without waiting for it; a failure to record it goes to `onError`. */
  startConnectionTest(onError: (error: unknown) => void): void;
  /** True while a connection test is under way. */
  readonly connectionTesting: boolean;
  /** Resolves when no connection test is under way (tests, close). */
  connectionSettled(): Promise<void>;
  /** Resolves when the current search for a renewed certificate is over (tests, CLI). */
  renewalSettled(): Promise<void>;
  /** A current RNDS access token for the host's own calls (cached, renewed before expiry). */
  getToken(): Promise<RndsToken>;
  /** Adds the alert delivery summary to every Status. */
  attachAlerts(info: () => AlertsInfo): void;
  /** The latest direct send reported by the host: the Status reads it (RNDS_CREDENTIAL_REFUSED); announces `change` when that changes. */
  setLastDirectSend(send: DirectSendOutcome | null): void;
  /** The clock codes of the recent direct sends: the Status reads them (CLOCK_SKEW); announces `change` when they change. */
  setClockRefusals(refusals: ClockRefusals | null): void;
  /** The codes RNDS gave in the sends the Status stands on (the credential refused, the clock), for the alerts. */
  sendCodes(): { credential: string | null; clock: string[] };
  on(event: 'change', listener: () => void): Enablement;
  off(event: 'change', listener: () => void): Enablement;
  /** Stops the clock check and the renewal scan. */
  close(): void;
}

export function createEnablement(deps: EnablementDeps): Enablement {
  const core = new EnablementCore(deps);
  const renewals = new RenewalScan(core);
  const reader = new StatusReader(core, renewals);
  const status = (): Status => reader.status();
  const connection = new ConnectionTests(core, status);

  deps.catalogue.on('change', () => {
    core.changed();
    renewals.start();
  });
  renewals.start();
  reader.startClock();

  const enablement: Enablement = {
    status,
    statusSnapshot: () => reader.snapshot(),
    enable: (input, actor) => enable(core, renewals, status, input, actor),
    disable: (actor) => disable(core, status, actor),
    renew: (input, actor) => renew(core, renewals, status, input, actor),
    changeContraChave: (input, actor, source = 'api') => changeContraChave(core, status, input, actor, source),
    adoptConfiguredContraChave: (configured, source) => adoptConfiguredContraChave(core, configured, source),
    testConnection: () => connection.test(),
    startConnectionTest: (onError) => connection.start(onError),
    get connectionTesting() {
      return connection.testing;
    },
    connectionSettled: () => connection.settled(),
    renewalSettled: () => renewals.settled(),
    getToken: () => connection.getToken(),
    attachAlerts: (info) => reader.attachAlerts(info),
    setLastDirectSend(send) {
      // A report that leaves the Status as it was is no change: the RNDS tab hears of it by its own event (`sends`).
      if (reader.setLastDirectSend(send)) core.changed();
    },
    setClockRefusals(refusals) {
      if (reader.setClockRefusals(refusals)) core.changed();
    },
    sendCodes: () => reader.sendCodes(),
    on(event, listener) {
      core.on(event, listener);
      return enablement;
    },
    off(event, listener) {
      core.off(event, listener);
      return enablement;
    },
    close() {
      core.close();
      reader.stopClock();
    },
  };
  return enablement;
}
