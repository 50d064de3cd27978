/**
 * The audit trail of enable / disable / failed enable / contra-chave change, one JSON line each in
 * `<dataDir>/audit.jsonl` (0600, append-only). PEC's own trail uses the same descriptions.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AUDIT_ACTIONS, type AuditAction } from '../enums.js';
import type { ErrorCode } from '../errors.js';
import { safeJsonText } from '../present/index.js';
import { FILE_MODE, FILE_NAMES, ensureDir, errnoCode } from './files.js';

export type { AuditAction };

/** The descriptions PEC writes in its own audit trail. */
const AUDIT_DESCRIPTIONS: Record<AuditAction, string> = {
  enable: 'Habilitar o PEC a acessar RNDS',
  'enable-failed': 'Habilitar o PEC a acessar RNDS',
  disable: 'Desabilitar PEC a acessar RNDS',
  renew: 'Usar o certificado renovado para o PEC acessar RNDS',
  'renew-failed': 'Usar o certificado renovado para o PEC acessar RNDS',
  'contra-chave': 'Alterar a contra-chave da instalação',
};

/** One line of the trail. There is deliberately no field that could carry the password. */
export interface AuditRecord {
  at: string;
  action: AuditAction;
  /** Who did it (user name from the host, or the client address). */
  actor: string;
  /** The certificate file name, when there is one. */
  file?: string;
  sha256?: string;
  identificadorSolicitante?: string;
  /** The error code of a failed enable (an `ErrorCode`). */
  code?: ErrorCode | (string & {});
  /** A contra-chave change: the value before and after, and where the new one came from. */
  previousContraChave?: string;
  contraChave?: string;
  source?: string;
  description: string;
}

/** What callers pass: `at` defaults to now, `description` to PEC's text for the action. */
export type AuditInput = Omit<AuditRecord, 'at' | 'description'> & { at?: string; description?: string };

const AuditRecordSchema = z.object({
  at: z.string(),
  action: z.enum(AUDIT_ACTIONS),
  actor: z.string(),
  file: z.string().optional(),
  sha256: z.string().optional(),
  identificadorSolicitante: z.string().optional(),
  code: z.string().optional(),
  previousContraChave: z.string().optional(),
  contraChave: z.string().optional(),
  source: z.string().optional(),
  description: z.string(),
});

/** Appends to and reads the audit trail of one data folder. */
export class AuditTrail {
  readonly file: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(dataDir: string) {
    this.file = path.join(path.resolve(dataDir), FILE_NAMES.audit);
  }

  /** Appends one record (one `write` on an O_APPEND file, then fsync). */
  append(input: AuditInput): Promise<AuditRecord> {
    // Copy field by field: whatever else an untyped caller passes (a password…) is dropped.
    const record: AuditRecord = {
      at: input.at ?? new Date().toISOString(),
      action: input.action,
      actor: input.actor,
      ...(input.file !== undefined ? { file: input.file } : {}),
      ...(input.sha256 !== undefined ? { sha256: input.sha256 } : {}),
      ...(input.identificadorSolicitante !== undefined ? { identificadorSolicitante: input.identificadorSolicitante } : {}),
      ...(input.code !== undefined ? { code: input.code } : {}),
      ...(input.previousContraChave !== undefined ? { previousContraChave: input.previousContraChave } : {}),
      ...(input.contraChave !== undefined ? { contraChave: input.contraChave } : {}),
      ...(input.source !== undefined ? { source: input.source } : {}),
      description: input.description ?? AUDIT_DESCRIPTIONS[input.action],
    };
    // File names and actors may hold U+2028/U+2029 or controls: written as \u escapes, one record stays one line.
    const line = `${safeJsonText(JSON.stringify(record))}\n`;
    const run = async (): Promise<AuditRecord> => {
      await ensureDir(path.dirname(this.file));
      const handle = await fsp.open(this.file, 'a', FILE_MODE);
      try {
        await handle.write(line);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return record;
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** The last `limit` records, oldest first. Lines that cannot be parsed (a torn write) are skipped. */
  async read(limit = 50): Promise<AuditRecord[]> {
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return [];
      throw error;
    }
    const records: AuditRecord[] = [];
    for (const line of text.split('\n')) {
      const record = parseAuditLine(line);
      if (record) records.push(record);
    }
    return limit <= 0 ? [] : records.slice(-limit);
  }
}

/**
 * One line of the trail as a record, or null when it is not one (blank, a torn write, a damaged byte, a date that is
 * not a date): readers skip such a line instead of failing on it.
 */
export function parseAuditLine(line: string): AuditRecord | null {
  if (line.trim() === '') return null;
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = AuditRecordSchema.safeParse(json);
  if (!parsed.success || !Number.isFinite(Date.parse(parsed.data.at))) return null;
  return parsed.data as AuditRecord;
}
