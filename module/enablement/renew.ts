/**
 * Renewing: the enabled certificate is replaced by the renewed one the scan found (renewal-scan.ts decides what a
 * renewal is; the proof is made again on the bytes used), with the stored password — never typed again. With
 * `checkRnds`, RNDS must first give it a token; if it refuses, the current certificate stays enabled and the error
 * says why. Audited either way.
 */
import { RndsError, isRndsError } from '../errors.js';
import { displayName } from '../present/index.js';
import type { OpenedCertificate } from '../certificates/open.js';
import { summarizeCertificate } from '../certificates/summary.js';
import type { CertificateSummary, Connection, RenewalInfo, Status } from '../types.js';
import { testCertificate } from './connection.js';
import type { EnablementCore, EnabledRecord } from './core.js';
import { parseRenewInput } from './inputs.js';
import { enabledIssuer, provesRenewal, type RenewalScan } from './renewal-scan.js';

export function renew(core: EnablementCore, renewals: RenewalScan, status: () => Status, input: unknown, actor: string): Promise<Status> {
  return core.serialize(async () => {
    let file: string | undefined;
    try {
      const body = parseRenewInput(input);
      const enabled = core.enabled();
      if (!enabled) throw new RndsError('NOT_ENABLED', 'Nenhum certificado está habilitado: habilite o certificado renovado com a senha dele.');
      await renewals.settled();
      const renewal = renewals.current();
      if (!renewal) {
        throw new RndsError('CERTIFICATE_NOT_FOUND', 'Não há certificado renovado na pasta chaves que abra com a senha guardada: copie o novo certificado para a pasta ou habilite-o digitando a senha dele.');
      }
      file = renewal.file;
      if ((body.sha256 !== undefined && body.sha256 !== renewal.sha256) || (body.file !== undefined && body.file !== renewal.file)) {
        throw new RndsError('CERTIFICATE_NOT_FOUND', `O certificado renovado na pasta mudou desde que a tela foi aberta: recarregue a tela e confira o novo arquivo ${displayName(renewal.file)}.`);
      }
      const { certificate, summary, issuer } = await openRenewal(core, renewal, enabled);
      // RNDS checks the new certificate unless the caller says not to, as the screen does by default.
      const connection = body.checkRnds !== false ? await confirmWithRnds(core, certificate, enabled) : null;
      await switchTo(core, renewal, summary, connection, enabled, issuer);
      core.keepOpened(renewal.sha256, certificate);
      renewals.forget();
      await core.audit({ action: 'renew', actor, file: renewal.file, sha256: renewal.sha256, identificadorSolicitante: enabled.identificadorSolicitante });
      core.changed();
      renewals.start();
      return status();
    } catch (error) {
      const failure = isRndsError(error) ? error : new RndsError('INTERNAL', 'Erro inesperado ao trocar pelo certificado renovado: tente novamente e, se persistir, contate o suporte.', { cause: error });
      await core.audit({ action: 'renew-failed', actor, file, code: failure.code });
      throw failure;
    }
  });
}

/** Reads and opens the file again: the bytes used are the bytes checked, whatever happened in the folder meanwhile. */
async function openRenewal(core: EnablementCore, renewal: RenewalInfo, enabled: EnabledRecord): Promise<{ certificate: OpenedCertificate; summary: CertificateSummary; issuer: string }> {
  const { catalogue, secretBox, opener, now, timeZone } = core.deps;
  const { bytes, sha256 } = await catalogue.readEntry(renewal.file);
  if (sha256 !== renewal.sha256) {
    throw new RndsError('CERTIFICATE_NOT_FOUND', `O arquivo ${displayName(renewal.file)} mudou enquanto era lido: aguarde a cópia terminar e tente de novo.`);
  }
  const password = secretBox.unseal(enabled.secret);
  const certificate = await opener.open(bytes, password, { fileName: displayName(renewal.file), now: now() });
  const summary = { ...summarizeCertificate(certificate, now(), timeZone), sha256 };
  const issuer = await enabledIssuer(core, enabled);
  if (!issuer || !provesRenewal(certificate, summary, enabled.certificate, issuer.der)) {
    throw new RndsError('CERTIFICATE_NOT_FOUND', `O arquivo ${displayName(renewal.file)} não é uma renovação do certificado habilitado (outro CNPJ, validade menor ou outra autoridade certificadora): habilite-o digitando a senha, se for o caso.`);
  }
  return { certificate, summary, issuer: issuer.base64 };
}

/** RNDS must give the renewed certificate a token before it replaces the current one. */
async function confirmWithRnds(core: EnablementCore, certificate: OpenedCertificate, enabled: EnabledRecord): Promise<Connection> {
  const connection = await testCertificate(core, certificate, enabled.environment, enabled.services);
  if (connection.status !== 'ok') {
    const code = connection.status === 'no-connection' ? 'RNDS_UNAVAILABLE' : 'RNDS_CERTIFICATE_REJECTED';
    const why = connection.status === 'no-connection' ? 'Não foi possível confirmar o certificado renovado com a RNDS' : 'A RNDS recusou o certificado renovado';
    throw new RndsError(code, `${why} (${connection.detail}). O certificado atual continua habilitado. Confira no e-Gestor AB se a credencial do novo certificado está ATIVA e tente de novo.`);
  }
  return connection;
}

/**
 * Saves the renewed certificate as the enabled one, only if the enabled one is still the one renewed. The issuer that
 * signed both stays the one the next renewal must be signed by.
 */
async function switchTo(core: EnablementCore, renewal: RenewalInfo, summary: CertificateSummary, connection: Connection | null, enabled: EnabledRecord, issuerCertificate: string): Promise<void> {
  const { store, now } = core.deps;
  await store.update((state) =>
    state.enabled && state.enabled.certificate.sha256 === enabled.certificate.sha256
      ? { ...state, enabled: { ...state.enabled, file: renewal.file, enabledAt: now().toISOString(), certificate: summary, issuerCertificate }, connection }
      : state,
  );
  if (store.get().enabled?.certificate.sha256 !== summary.sha256) {
    throw new RndsError('CERTIFICATE_NOT_FOUND', 'O certificado habilitado mudou enquanto a troca era feita: recarregue a tela e tente de novo.');
  }
}
