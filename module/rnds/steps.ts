/**
 * "Where did it break?": the steps of a token request in order — name resolution, TCP to the proxy or the server,
 * the proxy's CONNECT, TLS with the RNDS server, our certificate accepted, the token answer — each with how long it
 * took. The connection test shows the steps that passed and the one that failed.
 */
import { performance } from 'node:perf_hooks';
import type { ConnectionStep, StepName } from '../types.js';

/** Records steps as a request goes; at most one step is open at a time. */
export class StepRecorder {
  readonly #steps: ConnectionStep[] = [];
  #open: { step: StepName; label: string; startedAt: number } | null = null;
  readonly #clock: () => number;

  constructor(clock: () => number = () => performance.now()) {
    this.#clock = clock;
  }

  /** Opens a step (closing an open one as passed). */
  start(step: StepName, label: string): void {
    if (this.#open) this.pass();
    this.#open = { step, label, startedAt: this.#clock() };
  }

  /** The step under way, if any. */
  get current(): StepName | null {
    return this.#open?.step ?? null;
  }

  pass(detail?: string): void {
    this.#close(true, detail);
  }

  /** Closes the open step as failed; without an open step, nothing to record. */
  fail(detail?: string): void {
    this.#close(false, detail);
  }

  #close(ok: boolean, detail?: string): void {
    const open = this.#open;
    if (!open) return;
    this.#open = null;
    this.#steps.push({
      step: open.step,
      label: open.label,
      ok,
      ms: Math.max(0, Math.round(this.#clock() - open.startedAt)),
      ...(detail ? { detail } : {}),
    });
  }

  /** The steps recorded so far (a copy). */
  list(): ConnectionStep[] {
    return this.#steps.map((s) => ({ ...s }));
  }
}

/** One line per step, for logs and the CLI: `✓ Conexão TCP com o proxy proxy:3128 (3 ms)`. */
export function formatStep(step: ConnectionStep): string {
  return `${step.ok ? '✓' : '✗'} ${step.label} (${step.ms} ms)${step.detail ? ` — ${step.detail}` : ''}`;
}
