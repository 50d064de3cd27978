/** Disabling: RNDS is turned off; the certificate file stays in the folder and the stored password is forgotten. */
import type { Status } from '../types.js';
import type { EnablementCore } from './core.js';

export function disable(core: EnablementCore, status: () => Status, actor: string): Promise<Status> {
  return core.serialize(async () => {
    const previous = core.enabled();
    if (previous) {
      await core.deps.store.update((state) => ({ ...state, enabled: null, connection: null, contraChaveChanged: null }));
      core.forgetOpened();
      await core.audit({
        action: 'disable',
        actor,
        file: previous.file,
        sha256: previous.certificate.sha256,
        identificadorSolicitante: previous.identificadorSolicitante,
      });
      core.changed();
    }
    return status();
  });
}
