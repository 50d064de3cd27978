import { describe, expect, it } from 'vitest';
import { rndsDoubleForFile } from '../../support/mutual-tls.js';
import {
  FALLBACK_EXPIRES_IN_MS,
  TokenClient,
  TokenRequestError,
  interpretExpiresIn,
  type TokenClientOptions,
} from '../../../module/rnds/index.js';
import { startRndsAuthDouble } from '../../doubles/rnds-auth.js';

const MINUTE_MS = 60_000;

const rnds = rndsDoubleForFile();

/** A clock the test moves by hand, so expiry is tested without waiting. */
function manualClock(start = new Date()): { now: () => Date; advance(ms: number): void } {
  let current = start.getTime();
  return { now: () => new Date(current), advance: (ms) => (current += ms) };
}

function client(overrides: Partial<TokenClientOptions> = {}): TokenClient {
  return new TokenClient({ ...rnds.pki.clients.good, authUrl: rnds.double.url, ca: rnds.double.trustedCa, timeoutMs: 2_000, ...overrides });
}

describe('TokenClient.getToken', () => {
  it('when RNDS answers expires_in 1 800 000, then the token is valid for 30 minutes, not 500 hours', async () => {
    const clock = manualClock();

    const token = await client({ now: clock.now }).getToken();

    expect(token.accessToken).toBe(rnds.double.issuedTokens[0]);
    expect(token.accessToken).toMatch(/^eyJ/);
    expect(token.expiresAt.getTime() - clock.now().getTime()).toBe(30 * MINUTE_MS);
    expect(token).toMatchObject({ scope: 'read write', tokenType: 'jwt' });
  });

  it('when the token is asked twice, then RNDS is asked once and the same token is reused', async () => {
    const tokens = client();

    const first = await tokens.getToken();
    const second = await tokens.getToken();

    expect(second.accessToken).toBe(first.accessToken);
    expect(rnds.double.requests).toHaveLength(1);
  });

  it('when five callers ask at the same time, then they share one request to RNDS', async () => {
    const tokens = client();

    const results = await Promise.all(Array.from({ length: 5 }, () => tokens.getToken()));

    expect(new Set(results.map((t) => t.accessToken)).size).toBe(1);
    expect(rnds.double.requests).toHaveLength(1);
  });

  it('when the token is within a minute of expiring, then a new one is requested', async () => {
    rnds.double.setScenario('short-expiry'); // expires_in 120 000 ms
    const clock = manualClock();
    const tokens = client({ now: clock.now });
    const first = await tokens.getToken();

    clock.advance(59_000);
    const stillCached = await tokens.getToken();
    clock.advance(2_000);
    const renewed = await tokens.getToken();

    expect(stillCached.accessToken).toBe(first.accessToken);
    expect(renewed.accessToken).not.toBe(first.accessToken);
    expect(rnds.double.requests).toHaveLength(2);
  });

  it('when a request fails, then the failure is not cached and the next call asks again', async () => {
    rnds.double.setScenario('server-error');
    const tokens = client();
    await expect(tokens.getToken()).rejects.toMatchObject({ status: 'no-connection', reason: 'http-server-error' });

    rnds.double.setScenario('success');
    const token = await tokens.getToken();

    expect(token.accessToken).toBe(rnds.double.issuedTokens[0]);
    expect(rnds.double.requests).toHaveLength(2);
  });

  it('when the token endpoint answers 401 once, then that call fails as a certificate failure and the next succeeds', async () => {
    rnds.double.setScenario('unauthorized-once');
    const tokens = client();

    const failure = await tokens.getToken().catch((error: unknown) => error);
    const token = await tokens.getToken();

    expect(failure).toBeInstanceOf(TokenRequestError);
    expect(failure).toMatchObject({ status: 'certificate-failure', httpStatus: 401 });
    expect(token.accessToken).toMatch(/^eyJ/);
  });

  it('when the certificate is expired, then getToken rejects without connecting', async () => {
    const tokens = client({ ...rnds.pki.clients.expired });

    await expect(tokens.getToken()).rejects.toMatchObject({ status: 'certificate-expired', reason: 'certificate-expired' });
    expect(rnds.double.connections).toBe(0);
  });
});

describe('TokenClient.withToken', () => {
  it('when the RNDS service answers 401, then the token is renewed and the call retried once with the new token', async () => {
    const tokens = client();
    const seen: string[] = [];

    const result = await tokens.withToken(async (accessToken) => {
      seen.push(accessToken);
      return seen.length === 1 ? { status: 401 } : { status: 200 };
    });

    expect(result).toEqual({ status: 200 });
    expect(seen).toHaveLength(2);
    expect(seen[1]).not.toBe(seen[0]);
    expect(rnds.double.requests).toHaveLength(2);
  });

  it('when the service keeps answering 401, then it is retried only once and the second answer is returned', async () => {
    const tokens = client();
    let calls = 0;

    const result = await tokens.withToken(async () => {
      calls += 1;
      return { status: 401 };
    });

    expect(result).toEqual({ status: 401 });
    expect(calls).toBe(2);
  });

  it('when the service throws a 401 error, then the call is retried with a new token', async () => {
    const tokens = client();
    let calls = 0;

    const result = await tokens.withToken(async (accessToken) => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error('JWT expired'), { statusCode: 401 });
      return accessToken;
    });

    expect(result).toBe(rnds.double.issuedTokens[1]);
  });

  it('when the service fails for another reason, then the error passes through without a retry', async () => {
    const tokens = client();
    let calls = 0;

    const attempt = tokens.withToken(async () => {
      calls += 1;
      throw Object.assign(new Error('indisponível'), { status: 503 });
    });

    await expect(attempt).rejects.toThrow('indisponível');
    expect(calls).toBe(1);
    expect(rnds.double.requests).toHaveLength(1);
  });
});

describe('TokenClient logging', () => {
  it('when a token is obtained, then the log shows at most its first characters and never the key', async () => {
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };

    const token = await client({ logger }).getToken();

    expect(lines.join('\n')).toContain(token.accessToken.slice(0, 8));
    for (const line of lines) {
      expect(line).not.toContain(token.accessToken);
      expect(line).not.toContain('PRIVATE KEY');
    }
  });
});

describe('interpretExpiresIn', () => {
  it('when RNDS sends milliseconds (1 800 000), then the lifetime is 30 minutes', () => {
    expect(interpretExpiresIn(1_800_000)).toEqual({ ms: 30 * MINUTE_MS, assumed: false });
    expect(interpretExpiresIn('1800000')).toEqual({ ms: 30 * MINUTE_MS, assumed: false });
  });

  it('when the value is small enough to be seconds (1800), then it is read as seconds', () => {
    expect(interpretExpiresIn(1800)).toEqual({ ms: 30 * MINUTE_MS, assumed: false });
  });

  it.each([undefined, null, 'trinta', -1, 0, Number.NaN, 10 ** 12])('when expires_in is %s, then a short default is assumed', (raw) => {
    expect(interpretExpiresIn(raw)).toEqual({ ms: FALLBACK_EXPIRES_IN_MS, assumed: true });
  });

  it('when the answer has no expires_in, then the token is still usable for the short default', async () => {
    const short = await startRndsAuthDouble({ pki: rnds.pki, expiresInMs: null });
    const clock = manualClock();
    try {
      const token = await client({ authUrl: short.url, now: clock.now }).getToken();

      expect(token.expiresAt.getTime() - clock.now().getTime()).toBe(FALLBACK_EXPIRES_IN_MS);
    } finally {
      await short.close();
    }
  });
});
