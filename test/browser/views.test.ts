import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/harness.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs the preview script (async, so this worker stays responsive) and collects what it prints. */
function runPreview(out: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/preview-views.ts'], {
      cwd: ROOT,
      env: { ...process.env, PREVIEW_OUT: out },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('the screen in every state (scripts/preview-views.ts)', () => {
  it('when each state is rendered and driven in Chromium, then every check of the preview script passes', { timeout: 150_000, retry: 1 }, async () => {
    // The script renders disabled, empty folder, missing folder, form errors, enabled, degraded, expiring, hostile
    // names and the login page under a strict CSP, then drives Copiar without the Clipboard API, the eye, live
    // updates, the Desabilitar dialog and the no-JavaScript fallbacks. Its screenshots go to a temp folder here.
    const out = tempDir('pec-rnds-preview-');
    try {
      const { code, output } = await runPreview(out);
      expect(output.split('\n').filter((line) => line.startsWith('FAIL'))).toEqual([]);
      expect(code, output).toBe(0);
      expect(output).toMatch(/(\d+)\/\1 checks passed/);
      expect(fs.readdirSync(out).filter((f) => f.endsWith('.png')).length).toBeGreaterThanOrEqual(10);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
