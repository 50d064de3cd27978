/** The certificate password must not be findable in the data folder in any common encoding. */
import fsp from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditTrail, SecretBox, StateStore, loadOrCreateAccessToken, type AuditInput } from '../../../module/state/index.js';
import { versionFor } from './helpers/versions.js';
import { listFiles, makeTempRoot } from './support.js';

const PASSWORD = 'Senha@çã1';

/** Byte patterns of `password`; for base64 the alignment-independent middle of each of the 3 alignments. */
function encodings(password: string): Record<string, Buffer> {
  const utf8 = Buffer.from(password, 'utf8');
  const utf16le = Buffer.from(password, 'utf16le');
  const utf16be = Buffer.from(utf16le).swap16();
  const out: Record<string, Buffer> = {
    utf8,
    utf16le,
    utf16be,
    latin1: Buffer.from(password, 'latin1'),
    'hex (lower)': Buffer.from(utf8.toString('hex')),
    'hex (upper)': Buffer.from(utf8.toString('hex').toUpperCase()),
    'utf16 hex': Buffer.from(utf16le.toString('hex')),
  };
  for (const [name, raw] of Object.entries({ utf8, latin1: Buffer.from(password, 'latin1') })) {
    for (let shift = 0; shift < 3; shift += 1) {
      const encoded = Buffer.concat([Buffer.alloc(shift), raw]).toString('base64');
      const core = encoded.slice(shift === 0 ? 0 : 4, encoded.length - 4);
      out[`base64 of ${name} (+${shift})`] = Buffer.from(core);
      out[`base64url of ${name} (+${shift})`] = Buffer.from(core.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return out;
}

function findings(content: Buffer, patterns: Record<string, Buffer>): string[] {
  return Object.entries(patterns)
    .filter(([, pattern]) => content.includes(pattern))
    .map(([name]) => name);
}

describe('no plaintext password at rest', () => {
  let tmp: Awaited<ReturnType<typeof makeTempRoot>>;
  beforeEach(async () => {
    tmp = await makeTempRoot();
  });
  afterEach(async () => {
    await tmp.cleanup();
  });

  it('when the scanner is given each encoding of the password inside other bytes, then it finds every one (the scan can fail)', () => {
    const patterns = encodings(PASSWORD);
    const raw = {
      utf8: Buffer.from(PASSWORD, 'utf8'),
      utf16le: Buffer.from(PASSWORD, 'utf16le'),
      latin1: Buffer.from(PASSWORD, 'latin1'),
    };
    const samples = [
      ...Object.values(raw),
      Buffer.from(raw.utf16le).swap16(),
      Buffer.from(raw.utf8.toString('hex')),
      Buffer.from(`{"x":"${Buffer.concat([Buffer.from('ab'), raw.utf8]).toString('base64')}"}`),
      Buffer.from(Buffer.concat([Buffer.from('a'), raw.latin1]).toString('base64url')),
    ];

    for (const sample of samples) {
      expect(findings(Buffer.concat([Buffer.from('prefixo '), sample, Buffer.from(' sufixo')]), patterns)).not.toEqual([]);
    }
  });

  it('when a password is sealed, stored, audited and the store closed, then no file in the data folder contains it in any encoding', async () => {
    const store = await StateStore.open({ dataDir: tmp.dataDir });
    const box = await SecretBox.open(tmp.dataDir);
    const secret = box.seal(PASSWORD);
    await store.update((s) => versionFor(s, 1, secret));
    const audit = new AuditTrail(tmp.dataDir);
    // An untyped caller smuggling the password into the audit record.
    await audit.append({ action: 'enable', actor: 'admin', file: 'municipio-1.pfx', password: PASSWORD } as AuditInput);
    await audit.append({ action: 'enable-failed', actor: 'admin', file: 'municipio-1.pfx', code: 'WRONG_PASSWORD' });
    await loadOrCreateAccessToken(tmp.dataDir);
    const patterns = encodings(PASSWORD);

    const whileOpen: Record<string, string[]> = {};
    for (const file of await listFiles(tmp.dataDir)) whileOpen[file] = findings(await fsp.readFile(file), patterns);
    await store.close();
    const afterClose: Record<string, string[]> = {};
    const files = await listFiles(tmp.dataDir);
    for (const file of files) afterClose[file] = findings(await fsp.readFile(file), patterns);

    expect(files.map((f) => f.slice(tmp.dataDir.length + 1)).sort()).toEqual(['access-token', 'audit.jsonl', 'secret.key', 'state.json']);
    expect(Object.values(whileOpen).flat()).toEqual([]);
    expect(Object.values(afterClose).flat()).toEqual([]);
    expect((await SecretBox.open(tmp.dataDir)).unseal((await StateStore.read(tmp.dataDir))!.enabled!.secret)).toBe(PASSWORD);
  });
});
