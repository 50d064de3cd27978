/** Reads the committed PKCS#12 fixtures and their manifest (test/fixtures/pkcs12/manifest.json). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/pkcs12');

export interface FixtureEntry {
  file: string;
  password: string;
  error: string | null;
  encoding?: string;
  commonName?: string;
  razaoSocial?: string;
  cnpj?: string;
  responsibleName?: string;
  responsibleCpf?: string;
  keyType?: 'RSA' | 'EC';
  keySize?: number;
  curve?: string | null;
  clientAuth?: boolean;
  friendlyName?: string | null;
  chainLength?: number;
  nativeLoads?: boolean;
  note?: string;
}

export interface Manifest {
  standard: { legacy: string; aes: string };
  passwords: { accented: string; ascii: string; empty: string };
  ca: Record<string, string | string[]>;
  fixtures: FixtureEntry[];
}

export const manifest: Manifest = JSON.parse(readFileSync(path.join(FIXTURES_DIR, 'manifest.json'), 'utf8'));

export function fixtureBytes(file: string): Buffer {
  return readFileSync(path.join(FIXTURES_DIR, file));
}

export function fixture(file: string): FixtureEntry & { bytes: Buffer } {
  const entry = manifest.fixtures.find((candidate) => candidate.file === file);
  if (!entry) throw new Error(`fixture ${file} missing from the manifest`);
  return { ...entry, bytes: fixtureBytes(file) };
}

export function caFile(key: string): string {
  return readFileSync(path.join(FIXTURES_DIR, String(manifest.ca[key])), 'utf8');
}

export const standardAes = (): FixtureEntry & { bytes: Buffer } => fixture(manifest.standard.aes);
export const standardLegacy = (): FixtureEntry & { bytes: Buffer } => fixture(manifest.standard.legacy);
