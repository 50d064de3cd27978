import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/harness.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('the screen in every state (scripts/preview-views.ts)', () => {
  it('when each state is rendered and driven in Chromium, then every check of the preview script passes', () => {
    // The script renders disabled, empty folder, missing folder, form errors, enabled, degraded, expiring, hostile
    // names and the login page under a strict CSP, then drives Copiar without the Clipboard API, the eye, live
    // updates, the Desabilitar dialog and the no-JavaScript fallbacks. Its screenshots go to a temp folder here.
    const out = tempDir('pec-rnds-preview-');
    try {
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/preview-views.ts'], {
        cwd: ROOT,
        env: { ...process.env, PREVIEW_OUT: out },
        encoding: 'utf8',
        timeout: 120_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const failures = run.stdout.split('\n').filter((line) => /^(FAIL|not ok)/i.test(line));
      expect(failures).toEqual([]);
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/(\d+)\/\1 checks passed/);
      expect(fs.readdirSync(out).filter((f) => f.endsWith('.png')).length).toBeGreaterThanOrEqual(10);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 150_000);
});
