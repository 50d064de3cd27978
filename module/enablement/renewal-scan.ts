/**
 * Where a renewal is decided: `isRenewalOf` (same CNPJ, later expiry), `provesRenewal` (that, and signed by the CA that
 * signed the enabled certificate), and the background scan that opens the files of the chaves folder with the stored
 * password to find the renewed certificate. Switching to it is renew.ts.
 *
 * The scan must not tell which file the stored password opens: a file is offered only when its certificate is proven
 * to come from the enabled one's CA, and every file that is not offered ends the same way whether the password opened
 * it or not — no log line, no change event, no Status field, the same budget spent.
 */
import { daysLeft, displayName, formatDate } from '../present/index.js';
import type { OpenedCertificate } from '../certificates/open.js';
import type { OpenOptions } from '../certificates/opener.js';
import { summarizeCertificate } from '../certificates/summary.js';
import { findIssuer, isIssuedBy, issuerDer } from '../certificates/issuer.js';
import { isPlainFileName } from '../chaves/index.js';
import type { CertificateSummary, Entry, RenewalInfo } from '../types.js';
import type { EnablementCore, EnabledRecord } from './core.js';

/** Files looked at per renewal scan: a folder full of strangers' certificates must not keep the worker busy. */
const RENEWAL_SCAN_LIMIT = 10;
/**
 * Opens with the stored password per calendar day (installation time zone): files dropped in bulk cannot turn the
 * scan into a password oracle. Files over the budget are not marked tried: a folder change on a later day opens them.
 */
export const RENEWAL_OPENS_PER_DAY = 20;

/**
 * Whether `candidate` renews `enabled`: the same CNPJ (both known) and a later expiry. A certificate without a CNPJ
 * is never taken for a renewal: the name alone proves nothing.
 */
export function isRenewalOf(candidate: Pick<CertificateSummary, 'cnpj' | 'notAfter'>, enabled: Pick<CertificateSummary, 'cnpj' | 'notAfter'>): boolean {
  if (!candidate.cnpj || !enabled.cnpj || candidate.cnpj !== enabled.cnpj) return false;
  return new Date(candidate.notAfter).getTime() > new Date(enabled.notAfter).getTime();
}

/**
 * Whether the opened `candidate` is proven to renew `enabled`: same CNPJ, later expiry, and its signature verifies
 * with the public key of `issuer` (the certificate that signed the enabled one). Never throws.
 */
export function provesRenewal(candidate: OpenedCertificate, summary: Pick<CertificateSummary, 'cnpj' | 'notAfter'>, enabled: Pick<CertificateSummary, 'cnpj' | 'notAfter'>, issuer: Buffer): boolean {
  try {
    return isRenewalOf(summary, enabled) && isIssuedBy(candidate.certPem, issuer);
  } catch {
    return false;
  }
}

/**
 * The certificate that signed the enabled one, as DER: the one kept in the state at enable, or — for a state written
 * before it was kept — from the enabled file's chain (opened with the stored password: it is the file the admin
 * enabled, its content checked). Null when there is none: then nothing is offered, the admin enables the new file
 * with its password as any other.
 */
export async function enabledIssuer(core: EnablementCore, enabled: EnabledRecord): Promise<{ der: Buffer; base64: string } | null> {
  const kept = issuerDer(enabled.issuerCertificate);
  if (kept) return { der: kept, base64: kept.toString('base64') };
  try {
    const { certificate } = await core.openEnabled();
    const base64 = findIssuer(certificate.certPem, certificate.chainPem);
    return base64 ? { der: Buffer.from(base64, 'base64'), base64 } : null;
  } catch {
    return null;
  }
}

/** The renewed certificate found for the enabled one (opened with the stored password), kept in memory only. */
export interface FoundRenewal {
  forSha256: string;
  info: RenewalInfo;
  certificate: OpenedCertificate;
}

export class RenewalScan {
  readonly #core: EnablementCore;
  /**
   * Every renewal found for the enabled certificate, by file: the offer is the best one still in the folder, so a
   * better one that leaves does not hide one found earlier (each file is opened only once).
   */
  readonly #candidates = new Map<string, FoundRenewal>();
  /** `<enabled sha256>:<file sha256>` already tried with the stored password: each file is opened once. */
  readonly #tried = new Set<string>();
  #scan: Promise<void> | null = null;
  /** Opens with the stored password on `day` (the installation's calendar day). */
  #opens = { day: '', count: 0 };
  #rescan = false;

  constructor(core: EnablementCore) {
    this.#core = core;
  }

  /**
   * The renewal to offer: of those found, the one with the latest expiry whose file is still in the folder with the
   * same content (identity changes only when another one is found, leaves or is forgotten).
   */
  get found(): FoundRenewal | null {
    const enabled = this.#core.enabled();
    if (!enabled) return null;
    let best: FoundRenewal | null = null;
    for (const candidate of this.#candidates.values()) {
      if (candidate.forSha256 !== enabled.certificate.sha256 || !this.#inFolder(candidate)) continue;
      if (!best || new Date(candidate.info.certificate.notAfter) > new Date(best.info.certificate.notAfter)) best = candidate;
    }
    return best;
  }

  /** After a switch of the enabled certificate: what was found was for the previous one. */
  forget(): void {
    this.#candidates.clear();
  }

  /** Resolves when the current search is over (tests, CLI, renew). */
  async settled(): Promise<void> {
    while (this.#scan) await this.#scan;
  }

  /** Looks for a renewed certificate in the background; a change during a scan makes another scan follow. */
  start(): void {
    if (this.#core.closed) return;
    if (this.#scan) {
      this.#rescan = true;
      return;
    }
    this.#scan = (async () => {
      do {
        this.#rescan = false;
        try {
          await this.#find();
        } catch {
          // A file that vanished mid-read or a worker restart: the next folder change tries again.
        }
      } while (this.#rescan && !this.#core.closed);
    })().finally(() => {
      this.#scan = null;
    });
  }

  /** The renewal for the Status: the one found, if still in the folder, with its days left as of now. */
  current(): RenewalInfo | null {
    const found = this.found;
    if (!found) return null;
    const { deps } = this.#core;
    const info = found.info;
    return { ...info, sameFile: info.file === deps.store.get().enabled?.file, certificate: { ...info.certificate, daysLeft: daysLeft(info.certificate.notAfter, deps.now(), deps.timeZone) } };
  }

  /**
   * Opens, with the stored password and in the worker, each ready file that is not the enabled one and was not tried
   * yet; keeps those proven to renew the enabled certificate (provesRenewal).
   */
  async #find(): Promise<void> {
    const core = this.#core;
    const { deps } = core;
    const enabled = core.enabled();
    if (!enabled || deps.secretBox.check(enabled.secret) !== null) return;
    const enabledSha = enabled.certificate.sha256;
    const entries = deps.catalogue
      .list()
      .filter((e) => e.status === 'ready' && e.sha256 && e.sha256 !== enabledSha && isPlainFileName(e.file) && !this.#tried.has(`${enabledSha}:${e.sha256}`))
      .slice(0, RENEWAL_SCAN_LIMIT);
    // Without a CNPJ or the issuer of the enabled certificate nothing can be proven: no file is opened (nor marked tried).
    if (entries.length === 0 || !enabled.certificate.cnpj) return;
    const issuer = await enabledIssuer(core, enabled);
    if (!issuer) return;
    const renewalOf = { issuerDer: new Uint8Array(issuer.der), cnpj: enabled.certificate.cnpj, notAfter: new Date(enabled.certificate.notAfter) };
    let password: string;
    try {
      password = deps.secretBox.unseal(enabled.secret);
    } catch {
      return;
    }
    let changed = false;
    for (const entry of entries) {
      if (core.closed) return;
      if (!this.#spendOpen()) break;
      const found = await this.#tryFile(entry, enabledSha, password, issuer.der, renewalOf);
      if (!found) continue;
      // Kept even when a better one is offered: it is offered if the better one leaves the folder.
      this.#candidates.set(entry.file, found);
      changed = true;
    }
    if (changed) core.changed();
  }

  /**
   * One file with the stored password: the renewal when it is proven, else null. Every way of not being offered — not
   * readable, another password, not a certificate, expired, another CNPJ, an earlier expiry, another CA — ends here
   * the same: null, nothing logged, nothing emitted, the file marked tried and the open already counted.
   */
  async #tryFile(entry: Entry, enabledSha: string, password: string, issuer: Buffer, renewalOf: OpenOptions['renewalOf']): Promise<FoundRenewal | null> {
    const core = this.#core;
    const { deps } = core;
    let bytes: Buffer;
    let sha256: string;
    try {
      ({ bytes, sha256 } = await deps.catalogue.readEntry(entry.file));
    } catch {
      return null;
    }
    this.#tried.add(`${enabledSha}:${sha256}`);
    let certificate: OpenedCertificate;
    try {
      // The worker checks the proof on the file's certificates before it decrypts any private key: a rogue file costs
      // about the same whether the password opened its certificates or not (a few ms of key work otherwise).
      certificate = await deps.opener.open(bytes, password, { fileName: displayName(entry.file), now: deps.now(), renewalOf });
    } catch {
      return null;
    }
    try {
      const summary = { ...summarizeCertificate(certificate, deps.now(), deps.timeZone), sha256 };
      const current = core.enabled();
      if (!current || current.certificate.sha256 !== enabledSha || !provesRenewal(certificate, summary, current.certificate, issuer)) return null;
      return { forSha256: enabledSha, info: { file: entry.file, sha256, sameFile: entry.file === current.file, certificate: summary }, certificate };
    } catch {
      return null;
    }
  }

  /** Takes one open from today's budget; false when today's is spent. */
  #spendOpen(): boolean {
    const { now, timeZone } = this.#core.deps;
    const day = formatDate(now(), timeZone);
    if (this.#opens.day !== day) this.#opens = { day, count: 0 };
    if (this.#opens.count >= RENEWAL_OPENS_PER_DAY) return false;
    this.#opens.count += 1;
    return true;
  }

  /** Whether the found renewal's file is still in the folder with the same content. */
  #inFolder(found: FoundRenewal): boolean {
    const entry = this.#core.deps.catalogue.get(found.info.file);
    return entry?.status === 'ready' && entry.sha256 === found.info.sha256;
  }
}
