/**
 * Where alerts go: e-mail through the municipality's SMTP server (nodemailer) and a JSON webhook (chat, ticketing,
 * the state secretariat's monitoring). A failure becomes a pt-BR sentence that never carries the SMTP password or
 * the webhook URL's credentials.
 */
import type { Transporter } from 'nodemailer';
import type { AlertEvent } from '../state/index.js';
import type { AlertChannel } from '../types.js';

export interface AlertSender {
  readonly channel: AlertChannel;
  send(event: AlertEvent): Promise<void>;
  close(): void;
}

/** A delivery failure: `message` is pt-BR and safe to show (Status, metrics, logs). */
export class AlertDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertDeliveryError';
  }
}

export interface EmailOptions {
  /** `smtp://user:password@host:587` or `smtps://…:465`. */
  smtpUrl: string;
  to: string[];
  from: string;
  /** Extra TLS trust for the SMTP server (tests; a municipal CA). */
  tls?: { ca?: string | string[]; rejectUnauthorized?: boolean };
  /** Per-attempt limits, in ms. */
  timeoutMs?: number;
}

export function createEmailSender(options: EmailOptions): AlertSender {
  const timeout = options.timeoutMs ?? 30_000;
  // nodemailer is loaded and its transport made at the first alert: most servers never send one (README, "Lean").
  let transport: Promise<Transporter> | null = null;
  let made: Transporter | null = null;
  let closed = false;
  const open = (): Promise<Transporter> =>
    (transport ??= import('nodemailer').then(({ default: nodemailer }) => {
      made = nodemailer.createTransport(options.smtpUrl, {
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
        ...(options.tls ? { tls: options.tls } : {}),
      } as never);
      if (closed) made.close();
      return made;
    }));
  return {
    channel: 'email',
    async send(event) {
      try {
        await (await open()).sendMail({
          from: options.from,
          to: options.to,
          subject: event.subject,
          text: event.text,
          headers: { 'X-PEC-RNDS-Event': event.kind },
        });
      } catch (error) {
        throw new AlertDeliveryError(describeSmtpError(error));
      }
    },
    close() {
      closed = true;
      made?.close();
    },
  };
}

function describeSmtpError(error: unknown): string {
  const e = error as { code?: string; responseCode?: number; command?: string };
  switch (e?.code) {
    case 'EAUTH':
      return 'o servidor SMTP recusou o usuário ou a senha: confira RNDS_SMTP_URL';
    case 'ECONNECTION':
    case 'ESOCKET':
    case 'ETIMEDOUT':
    case 'EDNS':
      return 'não foi possível conectar ao servidor SMTP: confira o endereço e a porta em RNDS_SMTP_URL e o firewall';
    case 'ETLS':
      return 'a conexão TLS com o servidor SMTP falhou: confira smtp:// (porta 587, STARTTLS) ou smtps:// (porta 465)';
    case 'EENVELOPE':
      return `o servidor SMTP recusou o remetente ou os destinatários${e.responseCode ? ` (código ${e.responseCode})` : ''}: confira RNDS_SMTP_FROM e RNDS_ALERT_EMAILS`;
    case 'EMESSAGE':
      return `o servidor SMTP recusou a mensagem${e.responseCode ? ` (código ${e.responseCode})` : ''}`;
    default:
      return `o envio do e-mail falhou${e?.code ? ` (${e.code}${e.responseCode ? ` ${e.responseCode}` : ''})` : ''}: confira RNDS_SMTP_URL`;
  }
}

export interface WebhookOptions {
  url: string;
  timeoutMs?: number;
}

export function createWebhookSender(options: WebhookOptions): AlertSender {
  const url = new URL(options.url);
  const host = url.host;
  const timeout = options.timeoutMs ?? 30_000;
  return {
    channel: 'webhook',
    async send(event) {
      const body = JSON.stringify(webhookPayload(event));
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'pec-rnds' },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(timeout),
        });
      } catch (error) {
        const name = (error as { name?: string })?.name;
        throw new AlertDeliveryError(
          name === 'TimeoutError' ? `o webhook em ${host} não respondeu a tempo` : `não foi possível conectar ao webhook em ${host}: confira RNDS_WEBHOOK_URL e o firewall`,
        );
      }
      await response.body?.cancel().catch(() => undefined);
      if (response.status < 200 || response.status >= 300) throw new AlertDeliveryError(`o webhook em ${host} respondeu HTTP ${response.status}`);
    },
    close() {},
  };
}

/** The JSON the webhook receives. */
function webhookPayload(event: AlertEvent): Record<string, unknown> {
  return {
    source: 'pec-rnds',
    event: event.kind,
    id: event.key,
    severity: event.severity,
    occurredAt: event.at,
    subject: event.subject,
    message: event.text,
    installation: event.details,
  };
}
