import { isRndsError, type RndsError } from '../errors.js';
import type { Enablement } from '../enablement/index.js';
import type { Logger } from '../config/options.js';
import { displayName } from '../present/index.js';
import type { Connection, Status } from '../types.js';

/**
 * What an action gives back: plain data, no req/res. A refusal a person can fix (any operational RndsError: bad input,
 * wrong password, nothing enabled…) is a result, not an exception; bugs still throw. The API answers a refusal with
 * the contract's Error, the screen shows it by the fields — one flow for both.
 */
export type ActionResult<T> = ({ ok: true } & T) | { ok: false; error: RndsError };

export interface Actions {
  /** `connectionTestStarted`: a connection test was started and its result will arrive with a later Status. */
  enable(input: unknown, actor: string): Promise<ActionResult<{ status: Status; connectionTestStarted: boolean }>>;
  disable(actor: string): Promise<ActionResult<{ status: Status }>>;
  /** `checked`: RNDS gave the new certificate a token before the switch; otherwise a test may have been started. */
  renew(input: unknown, actor: string): Promise<ActionResult<{ status: Status; checked: boolean; connectionTestStarted: boolean }>>;
  changeContraChave(input: unknown, actor: string, source: 'api' | 'tela'): Promise<ActionResult<{ status: Status }>>;
  testConnection(): Promise<ActionResult<{ connection: Connection }>>;
}

async function attempt<T>(run: () => Promise<T>): Promise<ActionResult<T>> {
  try {
    return { ok: true, ...(await run()) };
  } catch (error) {
    if (isRndsError(error) && error.isOperational) return { ok: false, error };
    throw error;
  }
}

/** The module's use cases as the HTTP layer calls them (API and form alike), with their log lines. */
export function createActions(enablement: Enablement, logger: Logger, options: { testConnectionAfterEnable: boolean }): Actions {
  return {
    enable: (input, actor) =>
      attempt(async () => {
        const status = await enablement.enable(input, actor);
        logger.info(`RNDS habilitado com ${displayName(status.enabled?.file ?? '')} por ${actor}`);
        // Accepted is not yet reachable: RNDS's answer to this certificate arrives with a later Status.
        const connectionTestStarted = options.testConnectionAfterEnable;
        if (connectionTestStarted) {
          enablement.startConnectionTest((error) => logger.warn(`Teste de conexão depois de habilitar falhou: ${error instanceof Error ? error.message : String(error)}`));
        }
        return { status, connectionTestStarted };
      }),
    disable: (actor) =>
      attempt(async () => {
        const status = await enablement.disable(actor);
        logger.info(`RNDS desabilitado por ${actor}`);
        return { status };
      }),
    renew: (input, actor) =>
      attempt(async () => {
        const status = await enablement.renew(input, actor);
        logger.info(`RNDS passou a usar o certificado renovado ${displayName(status.enabled?.file ?? '')} por ${actor}`);
        // Renewed without the RNDS check (the switch clears the saved result): RNDS may still refuse the new
        // certificate, so it is tested now, as after Habilitar.
        const checked = status.connection !== null;
        const connectionTestStarted = !checked && options.testConnectionAfterEnable;
        if (connectionTestStarted) {
          enablement.startConnectionTest((error) => logger.warn(`Teste de conexão depois da renovação falhou: ${error instanceof Error ? error.message : String(error)}`));
        }
        return { status, checked, connectionTestStarted };
      }),
    changeContraChave: (input, actor, source) =>
      attempt(async () => {
        const status = await enablement.changeContraChave(input, actor, source);
        logger.info(`Contra-chave desta instalação: ${status.contraChave} (informada ${source === 'tela' ? 'na tela ' : ''}por ${actor})`);
        return { status };
      }),
    testConnection: () => attempt(async () => ({ connection: await enablement.testConnection() })),
  };
}
