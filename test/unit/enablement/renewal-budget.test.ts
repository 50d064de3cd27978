import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer } from '../../../scripts/lib/test-certificate.js';
import { RENEWAL_OPENS_PER_DAY, RenewalScan } from '../../../module/enablement/renewal-scan.js';
import type { EnablementCore } from '../../../module/enablement/core.js';

/**
 * The daily budget of opens with the stored password, counted at the opener (the only place the password is used)
 * with an injected clock. Every file refuses the password, as strangers' files do.
 */
// The enabled certificate's issuer, as the state keeps it: without one, no file is opened at all.
let issuerCertificate: string;
beforeAll(() => {
  issuerCertificate = new X509Certificate(forge.pki.certificateToPem(createTestIssuer().cert)).raw.toString('base64');
});

function folderOf(count: number, issuer: () => string | undefined = () => issuerCertificate) {
  const files = Array.from({ length: count }, (_, i) => ({ file: `f-${String(i).padStart(3, '0')}.pfx`, status: 'ready', sha256: String(i).padStart(64, '0') }));
  let clock = new Date('2026-12-03T12:00:00Z');
  let opens = 0;
  const core = {
    closed: false,
    enabled: () => ({ certificate: { sha256: 'e'.repeat(64), cnpj: '12345678000190', notAfter: '2027-01-01T00:00:00Z' }, secret: 'sealed', file: 'atual.pfx', issuerCertificate: issuer() }),
    // A state written before the issuer was kept: the enabled file is opened to read its chain (here it has none).
    openEnabled: () => Promise.resolve({ sha256: 'e'.repeat(64), certificate: { certPem: '', chainPem: [] } }),
    changed: () => undefined,
    deps: {
      timeZone: 'America/Sao_Paulo',
      now: () => clock,
      secretBox: { check: () => null, unseal: () => 'senha' },
      catalogue: {
        list: () => files,
        get: (name: string) => files.find((f) => f.file === name),
        readEntry: (name: string) => Promise.resolve({ bytes: Buffer.from(name), sha256: files.find((f) => f.file === name)!.sha256 }),
      },
      opener: {
        open: () => {
          opens += 1;
          return Promise.reject(new Error('senha incorreta'));
        },
      },
    },
  };
  const scan = new RenewalScan(core as unknown as EnablementCore);
  return { scan, opens: () => opens, setClock: (d: Date) => (clock = d) };
}

async function scanUntilQuiet(scan: RenewalScan, rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    scan.start();
    await scan.settled();
  }
}

describe('the renewal scan budget', () => {
  it('when more files than the daily budget arrive, then the stored password is tried at most the budget per calendar day, and the rest on the next day', async () => {
    const folder = folderOf(RENEWAL_OPENS_PER_DAY * 2 + 5);
    await scanUntilQuiet(folder.scan, 10);
    expect(folder.opens()).toBe(RENEWAL_OPENS_PER_DAY);
    // Still the same calendar day in São Paulo (02:59 UTC of the 4th is 23:59 of the 3rd): nothing more.
    folder.setClock(new Date('2026-12-04T02:59:00Z'));
    await scanUntilQuiet(folder.scan, 10);
    expect(folder.opens()).toBe(RENEWAL_OPENS_PER_DAY);
    folder.setClock(new Date('2026-12-04T03:01:00Z'));
    await scanUntilQuiet(folder.scan, 10);
    expect(folder.opens()).toBe(RENEWAL_OPENS_PER_DAY * 2);
    folder.setClock(new Date('2026-12-05T12:00:00Z'));
    await scanUntilQuiet(folder.scan, 10);
    // Each file is opened once, ever: 5 were left.
    expect(folder.opens()).toBe(RENEWAL_OPENS_PER_DAY * 2 + 5);
    await scanUntilQuiet(folder.scan, 3);
    expect(folder.opens()).toBe(RENEWAL_OPENS_PER_DAY * 2 + 5);
  });

  it('when the enabled certificate came without its issuer, then no file is opened with the stored password (nothing can be proven)', async () => {
    const folder = folderOf(5, () => undefined);
    await scanUntilQuiet(folder.scan, 3);
    expect(folder.opens()).toBe(0);
  });
});
