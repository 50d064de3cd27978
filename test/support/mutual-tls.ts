/**
 * The mutual-TLS setup a test file shares: the RNDS auth double (test/doubles/rnds-auth.ts) with its own test PKI,
 * started once before the file's first test, back to its `success` scenarios with nothing recorded after each test,
 * and closed after the last.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createRndsTestPki, type RndsTestPki } from '../doubles/pki.js';
import { startRndsAuthDouble, type RndsAuthDouble } from '../doubles/rnds-auth.js';
import { caFile } from './fixtures.js';

export interface SharedRndsDouble {
  readonly pki: RndsTestPki;
  readonly double: RndsAuthDouble;
}

/**
 * Registers the file's hooks and gives the double and its PKI (read them inside tests and hooks). With
 * `trustFixtures`, the double also trusts the CA of the committed PKCS#12 fixtures, so what the engine opens from a
 * .pfx logs in for real.
 */
export function rndsDoubleForFile(options: { trustFixtures?: boolean } = {}): SharedRndsDouble {
  let pki: RndsTestPki | undefined;
  let double: RndsAuthDouble | undefined;
  beforeAll(async () => {
    pki = createRndsTestPki();
    double = await startRndsAuthDouble({ pki, ...(options.trustFixtures ? { extraClientCaPem: caFile('root') } : {}) });
  });
  afterAll(async () => {
    await double?.close();
  });
  afterEach(() => {
    double?.setScenario('success');
    double?.setCadsusScenario('success');
    double?.setClockOffset(0);
    double?.reset();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the RNDS double starts in beforeAll: use it inside a test or hook');
    return value;
  };
  return {
    get pki() {
      return started(pki);
    },
    get double() {
      return started(double);
    },
  };
}
