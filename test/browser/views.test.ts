import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/harness.js';
import { ROOT, compiled } from '../support/spawn.js';
import { HANG_MS } from '../support/wait.js';


/** A preview that prints nothing for this long is hung (each check prints a line); not a speed check. */
const SILENCE_WATCHDOG_MS = HANG_MS;

/** Runs the preview script (async, so this worker stays responsive) and collects what it prints. */
function runPreview(out: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [compiled('scripts/preview-views.ts')], {
      cwd: ROOT,
      env: { ...process.env, PREVIEW_OUT: out },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let watchdog: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        output += `\nFAIL watchdog: the preview printed nothing for ${SILENCE_WATCHDOG_MS / 1000} s; killed it\n`;
        child.kill('SIGKILL');
      }, SILENCE_WATCHDOG_MS);
    };
    const collect = (d: string): void => {
      output += d;
      arm();
    };
    arm();
    child.stdout.setEncoding('utf8').on('data', collect);
    child.stderr.setEncoding('utf8').on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(watchdog);
      resolve({ code, output });
    });
  });
}

describe('the screen in every state (scripts/preview-views.ts)', () => {
  it('when each state is rendered and driven in Chromium, then every check of the preview script passes', async () => {
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
