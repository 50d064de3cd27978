/** Enabling: the chosen certificate, opened with the typed password, becomes the one enabled certificate. */
import { RndsError, isRndsError } from '../errors.js';
import { displayName } from '../present/index.js';
import type { OpenedCertificate } from '../certificates/open.js';
import { summarizeCertificate } from '../certificates/summary.js';
import { findIssuer } from '../certificates/issuer.js';
import { isPlainFileName, lookAlikeNames } from '../chaves/index.js';
import type { Environment, Status } from '../types.js';
import type { EnablementCore } from './core.js';
import { REQUIRED_MESSAGES, checkIdentificadorSolicitante, parseEnableInput, type EnableRequest } from './inputs.js';
import type { RenewalScan } from './renewal-scan.js';

/** Which field an engine error belongs next to on the screen. */
const ERROR_FIELD: Partial<Record<string, 'file' | 'password'>> = {
  WRONG_PASSWORD: 'password',
  CERTIFICATE_NOT_FOUND: 'file',
  INVALID_CERTIFICATE: 'file',
  UNSUPPORTED_CERTIFICATE: 'file',
  NO_PRIVATE_KEY: 'file',
  KEY_MISMATCH: 'file',
  CERTIFICATE_EXPIRED: 'file',
  CERTIFICATE_NOT_YET_VALID: 'file',
  CERTIFICATE_TOO_LARGE: 'file',
  TOO_EXPENSIVE: 'file',
};

/** Opens the chosen certificate with the password and, when it opens, makes it the one enabled certificate. */
export function enable(core: EnablementCore, renewals: RenewalScan, status: () => Status, input: unknown, actor: string): Promise<Status> {
  return core.serialize(async () => {
    let file: string | undefined;
    try {
      const request = parseEnableInput(input);
      file = request.file;
      checkIdentificadorSolicitante(request);
      checkChosenFile(core, request.file);
      const { bytes, sha256 } = await core.deps.catalogue.readEntry(request.file);
      const certificate = await openWithPassword(core, bytes, request);
      await saveEnabled(core, request, certificate, sha256);
      core.keepOpened(sha256, certificate);
      await core.audit({ action: 'enable', actor, file: request.file, sha256, identificadorSolicitante: request.identificadorSolicitante });
      renewals.forget();
      core.changed();
      renewals.start();
      return status();
    } catch (error) {
      const failure = withField(error);
      await core.audit({ action: 'enable-failed', actor, file, code: failure.code });
      throw failure;
    }
  });
}

/** Only a `ready` file of the listing, with a plain name that no other file resembles, may be enabled. */
function checkChosenFile(core: EnablementCore, file: string): void {
  const { catalogue } = core.deps;
  const entry = catalogue.get(file);
  if (entry && !isPlainFileName(file)) {
    // Listed, but a name with control, bidi or path characters could show one file and open another.
    throw new RndsError('CERTIFICATE_NOT_FOUND', `O nome do arquivo ${displayName(file)} tem caracteres que não são aceitos: renomeie-o na pasta chaves usando só letras, números, ponto, hífen e sublinhado, e escolha-o de novo.`, {
      fields: { file: 'Renomeie o arquivo na pasta chaves (só letras, números, ponto, hífen e sublinhado).' },
    });
  }
  if (entry && lookAlikeNames(catalogue.list().map((e) => e.file)).has(file)) {
    // `açã.pfx` twice (NFC and NFD): the admin cannot know which of the two identical-looking names was chosen.
    throw new RndsError('CERTIFICATE_NOT_FOUND', `Há na pasta chaves dois arquivos cujo nome aparece como ${displayName(file)} (as letras acentuadas foram gravadas de formas diferentes, por exemplo numa cópia vinda de um Mac): renomeie ou remova um deles e escolha o certificado de novo.`, {
      fields: { file: 'Há outro arquivo com o mesmo nome aparente: renomeie ou remova um deles na pasta chaves.' },
    });
  }
  if (entry?.status === 'unusable') {
    throw new RndsError('CERTIFICATE_NOT_FOUND', `O arquivo ${displayName(file)} não pode ser habilitado. ${entry.reason ?? ''}`.trim(), {
      fields: { file: 'Escolha um certificado .pfx ou .p12 com a chave privada.' },
    });
  }
  if (!entry || entry.status !== 'ready') {
    throw new RndsError('CERTIFICATE_NOT_FOUND', `O certificado ${displayName(file)} não está disponível na pasta chaves: escolha um certificado da lista.`, {
      fields: { file: 'Escolha um certificado da lista.' },
    });
  }
}

/** Opens the file in the worker with the typed password. */
async function openWithPassword(core: EnablementCore, bytes: Buffer, { file, password }: EnableRequest): Promise<OpenedCertificate> {
  const { opener, now } = core.deps;
  try {
    return await opener.open(bytes, password, { fileName: displayName(file), now: now() });
  } catch (error) {
    // A blank password is tried (some PKCS#12 files have none); when it does not open the file, the field was
    // left blank: say so, and do not count it as a wrong password (the attempt limit counts WRONG_PASSWORD).
    if (password === '' && isRndsError(error) && error.code === 'WRONG_PASSWORD') {
      throw new RndsError('INVALID_INPUT', REQUIRED_MESSAGES.password, { fields: { password: REQUIRED_MESSAGES.password } });
    }
    throw error;
  }
}

/** Writes the enabled certificate with the sealed password; the previous connection result and contra-chave change end. */
async function saveEnabled(core: EnablementCore, request: EnableRequest, certificate: OpenedCertificate, sha256: string): Promise<void> {
  const { store, secretBox, now, timeZone, defaultEnvironment } = core.deps;
  const secret = secretBox.seal(request.password);
  const enabledAt = now().toISOString();
  const environment: Environment = request.environment ?? defaultEnvironment;
  // Kept so that a renewal can be proven to come from the same CA, even after the enabled file is replaced.
  const issuerCertificate = findIssuer(certificate.certPem, certificate.chainPem);
  await store.update((state) => ({
    ...state,
    enabled: {
      file: request.file,
      identificadorSolicitante: request.identificadorSolicitante,
      services: request.services,
      environment,
      enabledAt,
      certificate: { ...summarizeCertificate(certificate, now(), timeZone), sha256 },
      secret,
      ...(issuerCertificate ? { issuerCertificate } : {}),
    },
    connection: null,
    // The new credential is requested with the current contra-chave: the old mismatch is over.
    contraChaveChanged: null,
  }));
}

function withField(error: unknown): RndsError {
  if (!isRndsError(error)) {
    return new RndsError('INTERNAL', 'Erro inesperado ao habilitar o certificado: tente novamente e, se persistir, contate o suporte.', { cause: error });
  }
  const field = ERROR_FIELD[error.code];
  if (!field || error.fields) return error;
  return new RndsError(error.code, error.message, { fields: { [field]: error.message }, retryAfterSeconds: error.retryAfterSeconds, cause: error.cause });
}
