import { afterEach, describe, expect, it } from 'vitest';
import { type CertificateOpener, createCertificateOpener } from '../../../module/certificates/index.js';
import { fixture, standardAes, standardLegacy } from '../../support/fixtures.js';

let opener: CertificateOpener | undefined;

afterEach(async () => {
  await opener?.close();
  opener = undefined;
});

describe('createCertificateOpener (worker thread)', () => {
  it('when files are opened through the worker, then results and typed errors come back in order', async () => {
    opener = createCertificateOpener();
    const aes = standardAes();
    const legacy = standardLegacy();

    const results = await Promise.allSettled([
      opener.open(aes.bytes, aes.password, { fileName: 'a.p12' }),
      opener.open(legacy.bytes, 'errada', { fileName: 'b.pfx' }),
      opener.open(legacy.bytes, legacy.password, { fileName: 'c.pfx' }),
    ]);

    expect(results[0]).toMatchObject({ status: 'fulfilled', value: { cnpj: '12345678000190', keyType: 'RSA' } });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { name: 'RndsError', code: 'WRONG_PASSWORD' } });
    expect((results[1] as PromiseRejectedResult).reason.message).toContain('b.pfx');
    expect(results[2]).toMatchObject({ status: 'fulfilled', value: { encoding: 'legado (RC2-40 + 3DES, MAC SHA-1)' } });
  });

  it('when a file is over the size cap, then it is refused without reaching the worker', async () => {
    opener = createCertificateOpener({ maxBytes: 1000 });
    const { bytes, password } = standardAes();

    await expect(opener.open(bytes, password)).rejects.toMatchObject({ code: 'CERTIFICATE_TOO_LARGE' });
  });

  it('when the opener has an iteration cap, then the worker applies it', async () => {
    opener = createCertificateOpener({ maxIterations: 1000 });
    const { bytes, password } = standardAes();

    await expect(opener.open(bytes, password)).rejects.toMatchObject({ code: 'TOO_EXPENSIVE' });
  });

  it('when a high-iteration file is opened, then the event loop keeps turning while it is worked on', async () => {
    // No time limit here (it is tested below): a loaded machine may take long over this open.
    opener = createCertificateOpener({ maxIterations: 1_000_000, startTimeLimit: () => () => undefined });
    const slow = fixture('iter-600k.p12');
    await opener.open(standardAes().bytes, standardAes().password); // worker started and warm
    // Counted, not timed: an open done on this thread would settle within a turn or two of the
    // event loop, whatever the machine's speed; in the worker, the loop turns all along.
    let settled = false;
    const opening = opener.open(slow.bytes, slow.password).finally(() => (settled = true));
    let turns = 0;
    while (!settled && turns < 1000) {
      await new Promise((resolve) => setImmediate(resolve));
      turns += 1;
    }
    const opened = await opening;

    expect(opened.cnpj).toBe('12345678000190');
    expect(turns).toBeGreaterThanOrEqual(20);
  });

  it('when a job runs over the time limit, then it fails with a clear error and the next job still works', async () => {
    // The limit is ours to expire: the first job runs over (its worker is stopped mid-work), the next never does.
    let expireFirst!: (expire: () => void) => void;
    const firstArmed = new Promise<() => void>((resolve) => (expireFirst = resolve));
    let armed = 0;
    opener = createCertificateOpener({
      maxIterations: 1_000_000,
      timeoutMs: 200,
      startTimeLimit: (_ms, expire) => {
        if (armed++ === 0) expireFirst(expire);
        return () => undefined;
      },
    });
    const slow = fixture('iter-600k.p12');
    const { bytes, password } = standardAes();

    const timedOut = opener.open(slow.bytes, slow.password, { fileName: 'lento.p12' });
    const next = opener.open(bytes, password);
    (await firstArmed)();

    await expect(timedOut).rejects.toMatchObject({
      code: 'TOO_EXPENSIVE',
      message: expect.stringMatching(/^A abertura do certificado lento\.p12 demorou mais de 200 ms e foi interrompida\./),
    });
    await expect(next).resolves.toMatchObject({ cnpj: '12345678000190' });
    expect(armed).toBe(2);
  });

  it('when the opener is closed, then later opens are refused', async () => {
    opener = createCertificateOpener();
    const { bytes, password } = standardAes();
    await opener.open(bytes, password);

    await opener.close();

    await expect(opener.open(bytes, password)).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('when nothing was opened yet, then no worker thread exists; the first open starts one', async () => {
    opener = createCertificateOpener();
    const { bytes, password } = standardAes();

    expect(opener.workerRunning).toBe(false);
    expect(opener.workersStarted).toBe(0);
    await opener.open(bytes, password);

    expect(opener.workerRunning).toBe(true);
    expect(opener.workersStarted).toBe(1);
  });

  it('when the worker has been idle for the idle delay, then it is let go, and the next open starts a new one', async () => {
    // The idle delay is ours to expire: no clock decides when the worker goes.
    const armed: Array<{ ms: number; expire: () => void; disarmed: boolean }> = [];
    opener = createCertificateOpener({
      idleMs: 1234,
      startIdleTimer: (ms, expire) => {
        const timer = { ms, expire, disarmed: false };
        armed.push(timer);
        return () => {
          timer.disarmed = true;
        };
      },
    });
    const { bytes, password } = standardAes();
    await opener.open(bytes, password);
    expect(armed).toHaveLength(1);
    expect(armed[0]!.ms).toBe(1234);

    armed[0]!.expire();
    expect(opener.workerRunning).toBe(false);

    await expect(opener.open(bytes, password)).resolves.toMatchObject({ cnpj: '12345678000190' });
    expect(opener.workersStarted).toBe(2);
    expect(opener.workerRunning).toBe(true);
  });

  it('when an open comes before the idle delay ends, then the worker stays and serves it', async () => {
    const armed: Array<{ expire: () => void; disarmed: boolean }> = [];
    opener = createCertificateOpener({
      startIdleTimer: (_ms, expire) => {
        const timer = { expire, disarmed: false };
        armed.push(timer);
        return () => {
          timer.disarmed = true;
        };
      },
    });
    const { bytes, password } = standardAes();
    await opener.open(bytes, password);

    const second = opener.open(bytes, password);
    expect(armed[0]!.disarmed).toBe(true);
    await expect(second).resolves.toMatchObject({ cnpj: '12345678000190' });

    expect(opener.workersStarted).toBe(1);
    expect(armed).toHaveLength(2); // armed again after the second job
  });
});
