import fsp from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditTrail, type AuditInput } from '../../../module/state/index.js';
import { makeTempRoot, modeOf } from './support.js';

describe('audit trail', () => {
  let tmp: Awaited<ReturnType<typeof makeTempRoot>>;
  let audit: AuditTrail;
  beforeEach(async () => {
    tmp = await makeTempRoot();
    audit = new AuditTrail(tmp.dataDir);
  });
  afterEach(async () => {
    await tmp.cleanup();
  });

  it('when an enable, a failed enable and a disable are recorded, then read returns them in order with PEC descriptions', async () => {
    await audit.append({ action: 'enable', actor: 'admin', file: 'municipio.pfx', sha256: 'ab'.repeat(32), identificadorSolicitante: '3167', at: '2026-03-01T10:00:00.000Z' });
    await audit.append({ action: 'enable-failed', actor: '127.0.0.1', file: 'municipio.pfx', code: 'WRONG_PASSWORD' });
    await audit.append({ action: 'disable', actor: 'admin', file: 'municipio.pfx' });

    const records = await audit.read();

    expect(records.map((r) => [r.action, r.description])).toEqual([
      ['enable', 'Habilitar o PEC a acessar RNDS'],
      ['enable-failed', 'Habilitar o PEC a acessar RNDS'],
      ['disable', 'Desabilitar PEC a acessar RNDS'],
    ]);
    expect(records[0]).toEqual({
      at: '2026-03-01T10:00:00.000Z',
      action: 'enable',
      actor: 'admin',
      file: 'municipio.pfx',
      sha256: 'ab'.repeat(32),
      identificadorSolicitante: '3167',
      description: 'Habilitar o PEC a acessar RNDS',
    });
    expect(records[1]?.code).toBe('WRONG_PASSWORD');
    expect(Date.parse(records[2]!.at)).not.toBeNaN();
  });

  it('when records are appended, then the file holds one JSON line per record and is 0600', async () => {
    await audit.append({ action: 'enable', actor: 'admin', file: 'a.pfx' });
    await audit.append({ action: 'disable', actor: 'admin', file: 'a.pfx' });

    const lines = (await fsp.readFile(audit.file, 'utf8')).trimEnd().split('\n');

    expect(lines).toHaveLength(2);
    expect(lines.map((l) => JSON.parse(l).action)).toEqual(['enable', 'disable']);
    if (process.platform !== 'win32') expect(modeOf(audit.file)).toBe(0o600);
  });

  it('when a caller passes a password field anyway, then it is not written', async () => {
    await audit.append({ action: 'enable', actor: 'admin', file: 'a.pfx', password: 'segredo' } as AuditInput);

    const text = await fsp.readFile(audit.file, 'utf8');

    expect(text).not.toContain('segredo');
    expect(text).not.toContain('password');
  });

  it('when many records exist, then read(limit) returns only the last ones, oldest first', async () => {
    for (let i = 0; i < 10; i += 1) await audit.append({ action: 'enable', actor: `admin-${i}`, file: 'a.pfx' });

    const last = await audit.read(3);

    expect(last.map((r) => r.actor)).toEqual(['admin-7', 'admin-8', 'admin-9']);
  });

  it('when appends run concurrently, then every record is kept on its own line', async () => {
    await Promise.all(Array.from({ length: 25 }, (_, i) => audit.append({ action: 'disable', actor: `a${i}`, file: 'x.pfx' })));

    const records = await audit.read(100);

    expect(records.map((r) => r.actor).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `a${i}`).sort());
  });

  it('when the last line was torn by a crash, then read skips it and the next append still lands on a line of its own', async () => {
    await audit.append({ action: 'enable', actor: 'admin', file: 'a.pfx' });
    await fsp.appendFile(audit.file, '{"at":"2026-');
    await fsp.appendFile(audit.file, '\n');
    await audit.append({ action: 'disable', actor: 'admin', file: 'a.pfx' });

    const records = await audit.read();

    expect(records.map((r) => r.action)).toEqual(['enable', 'disable']);
  });

  it('when nothing was recorded yet, then read returns an empty list', async () => {
    await expect(audit.read()).resolves.toEqual([]);
  });
});
