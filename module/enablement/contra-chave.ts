/**
 * The installation's contra-chave: changed from the screen or the API (refused while a certificate is enabled), or
 * adopted at start from the host option / RNDS_CONTRA_CHAVE. It never changes by itself; every change is audited.
 */
import { RndsError } from '../errors.js';
import { sameContraChave } from '../state/contra-chave.js';
import type { Status } from '../types.js';
import type { EnablementCore } from './core.js';
import { parseContraChaveInput } from './inputs.js';

/**
 * Sets the contra-chave from `POST /api/contra-chave` or the screen's form. Accepts it typed with spaces, without
 * dashes or in any case; refuses with CONTRA_CHAVE_LOCKED while a certificate is enabled (the RNDS credential belongs
 * to the current value). Every change is audited with the old and the new value.
 */
export function changeContraChave(core: EnablementCore, status: () => Status, input: unknown, actor: string, source: 'api' | 'tela'): Promise<Status> {
  return core.serialize(async () => {
    const next = parseContraChaveInput(input);
    const current = core.deps.store.get();
    if (current.contraChave === next && current.contraChaveOrigin === 'instalacao') return status();
    if (current.enabled) {
      throw new RndsError(
        'CONTRA_CHAVE_LOCKED',
        'Há um certificado habilitado: a credencial da RNDS foi gerada para a contra-chave atual. Para trocá-la, desabilite o ' +
          'certificado primeiro, solicite uma nova credencial no e-Gestor AB com a nova contra-chave e habilite de novo.',
        { fields: { contraChave: 'Desabilite o certificado antes de trocar a contra-chave.' } },
      );
    }
    await setContraChave(core, next, actor, source, false);
    return status();
  });
}

/**
 * At start: the value configured by the host option or RNDS_CONTRA_CHAVE wins over the stored one (the installation
 * is the source of truth). A different value is adopted and audited; with a certificate enabled the Status reports
 * CONTRA_CHAVE_CHANGED (degraded) until the next enable.
 */
export async function adoptConfiguredContraChave(core: EnablementCore, configured: string, source: string): Promise<void> {
  await core.serialize(async () => {
    const current = core.deps.store.get();
    if (current.contraChave === configured && current.contraChaveOrigin === 'instalacao') return;
    if (sameContraChave(current.contraChave, configured) && current.contraChaveOrigin === 'instalacao') return; // letter case only
    await setContraChave(core, configured, 'sistema', source, Boolean(current.enabled));
  });
}

async function setContraChave(core: EnablementCore, next: string, actor: string, source: string, whileEnabled: boolean): Promise<void> {
  const previous = core.deps.store.get();
  const changedAt = core.deps.now().toISOString();
  await core.deps.store.updateContraChave((state) => ({
    ...state,
    contraChave: next,
    contraChaveOrigin: 'instalacao',
    contraChaveChanged: !whileEnabled
      ? (state.contraChaveChanged ?? null)
      : state.contraChaveChanged && sameContraChave(state.contraChaveChanged.previous, next)
        ? null // back to the value the credential was issued for
        : sameContraChave(previous.contraChave, next)
          ? (state.contraChaveChanged ?? null)
          : { previous: state.contraChaveChanged?.previous ?? previous.contraChave, changedAt },
  }));
  if (previous.contraChave !== next) {
    await core.audit({ action: 'contra-chave', actor, previousContraChave: previous.contraChave, contraChave: next, source });
  }
  core.changed();
}
