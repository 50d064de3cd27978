import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../support/files.js';
import { RndsError } from '../../../module/errors.js';
import { buildTrustedCa, readCaFile, resolveEnvironments, tokenUrl } from '../../../module/rnds/index.js';
import { createTestCa } from '../../doubles/pki.js';

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('resolveEnvironments', () => {
  it('when nothing is configured, then both environments use the DATASUS hosts and produção has no services URL yet', () => {
    const environments = resolveEnvironments();

    expect(environments).toEqual({
      homologacao: {
        authUrl: 'https://ehr-auth-hmg.saude.gov.br',
        servicesUrl: 'https://ehr-services.hmg.saude.gov.br/api',
      },
      producao: { authUrl: 'https://ehr-auth.saude.gov.br', servicesUrl: null },
    });
  });

  it('when the UF is given in any case, then the produção services host carries it in lowercase', () => {
    const environments = resolveEnvironments({ uf: ' MG ' });

    expect(environments.producao.servicesUrl).toBe('https://mg-ehr-services.saude.gov.br/api');
    expect(environments.homologacao.servicesUrl).toBe('https://ehr-services.hmg.saude.gov.br/api');
  });

  it('when the UF is not a Brazilian state, then an INVALID_INPUT error names the field in pt-BR', () => {
    const error = captureError(() => resolveEnvironments({ uf: 'XX' }));

    expect(error).toBeInstanceOf(RndsError);
    expect((error as RndsError).code).toBe('INVALID_INPUT');
    expect((error as RndsError).fields).toHaveProperty('uf');
    expect((error as RndsError).message).toMatch(/UF inválida.*como MG/);
  });

  it('when auth and services URLs are overridden, then they replace the defaults without trailing slashes and keep {uf}', () => {
    const environments = resolveEnvironments({
      uf: 'sp',
      authUrlHomologacao: 'https://127.0.0.1:8443/',
      authUrlProducao: 'https://auth.novo-host.saude.gov.br/rnds/',
      servicesUrlProducao: 'https://{uf}.servicos.saude.gov.br/api/',
    });

    expect(environments.homologacao.authUrl).toBe('https://127.0.0.1:8443');
    expect(environments.producao.authUrl).toBe('https://auth.novo-host.saude.gov.br/rnds');
    expect(environments.producao.servicesUrl).toBe('https://sp.servicos.saude.gov.br/api');
    expect(tokenUrl(environments.producao.authUrl)).toBe('https://auth.novo-host.saude.gov.br/rnds/api/token');
  });

  it('when an override is not https, then it is refused because mutual TLS needs https', () => {
    const error = captureError(() => resolveEnvironments({ authUrlProducao: 'http://ehr-auth.saude.gov.br' }));

    expect((error as RndsError).code).toBe('INVALID_INPUT');
    expect((error as RndsError).fields).toEqual({ authUrlProducao: 'deve ser uma URL https://' });
  });

  it('when the auth URL is the default, then the token is asked at /api/token', () => {
    expect(tokenUrl(resolveEnvironments().homologacao.authUrl)).toBe('https://ehr-auth-hmg.saude.gov.br/api/token');
  });
});

describe('trusted CA bundle', () => {
  let dir: string;
  let caPem: string;

  beforeAll(async () => {
    dir = tempDir('pec-rnds-ca-');
    caPem = createTestCa('Proxy Corporativo CA').certPem;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('when no extra CA is configured, then the bundle is left to Node (system CAs)', () => {
    expect(buildTrustedCa(undefined)).toBeUndefined();
  });

  it('when an extra CA is configured, then it is added to the system CAs instead of replacing them', () => {
    const bundle = buildTrustedCa(caPem);

    expect(bundle).toHaveLength(tls.rootCertificates.length + 1);
    expect(bundle).toEqual(expect.arrayContaining([...tls.rootCertificates]));
    expect(bundle?.at(-1)?.trim()).toBe(caPem.trim());
  });

  it('when the CA file holds two certificates, then both are read', async () => {
    const file = path.join(dir, 'cas.pem');
    await writeFile(file, `${caPem}\n${createTestCa('Outra CA').certPem}`);

    const cas = await readCaFile(file);

    expect(cas).toHaveLength(2);
  });

  it('when the CA file has no certificate or does not exist, then INVALID_INPUT says what to fix', async () => {
    const file = path.join(dir, 'not-a-ca.pem');
    await writeFile(file, 'isto não é um certificado');

    await expect(readCaFile(file)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('nenhum certificado PEM') });
    await expect(readCaFile(path.join(dir, 'missing.pem'))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('confira o caminho'),
    });
  });
});
