/** The reminder of the yearly renewal, shown from 30 days before expiry (the screen and `npm run status`). */
import { EXPIRING_DAYS, formatDate } from '../present/index.js';
import type { Status } from '../types.js';

/** Where the credenciamento guide lives, under the module's base path. */
export const GUIDE_PATH = '/guia';

export interface RenewalReminder {
  daysLeft: number;
  /** The certificate's end has passed (possibly earlier today: `daysLeft` is then 0). */
  expired: boolean;
  notAfter: string;
  /** One sentence, pt-BR. */
  title: string;
  /** The steps, in order, pt-BR. */
  steps: string[];
}

/** The reminder, from 30 days before expiry (and after it), while a certificate is enabled; else null. */
export function renewalReminder(status: Pick<Status, 'enabled' | 'chavesDir' | 'renewal' | 'problems'>, timeZone: string): RenewalReminder | null {
  const enabled = status.enabled;
  if (!enabled || enabled.certificate.daysLeft > EXPIRING_DAYS) return null;
  const { daysLeft, notAfter } = enabled.certificate;
  const when = formatDate(notAfter, timeZone);
  const expired = status.problems.some((p) => p.code === 'CERTIFICATE_EXPIRED');
  const title =
    expired
      ? `O certificado venceu em ${when}: renove-o para o PEC voltar a acessar a RNDS.`
      : `O certificado vence em ${when}: renove-o antes dessa data para o PEC não parar de enviar à RNDS.`;
  const steps = [
    'Providencie o novo certificado A1 (.pfx ou .p12) do mesmo CNPJ: renove o e-CNPJ com a autoridade certificadora ou gere um novo no e-Gestor AB.',
    'No e-Gestor AB, cadastre o novo certificado na credencial da RNDS (Solicitar nova credencial, com a contra-chave desta instalação) e confira se ela aparece como ATIVO.',
    `Copie o novo arquivo para a pasta chaves (${status.chavesDir.path}), com outro nome ou por cima do atual.`,
    status.renewal
      ? 'O certificado renovado já está na pasta e abre com a senha guardada: clique em "Usar o certificado renovado".'
      : 'Se a senha for a mesma, a tela oferece "Usar o certificado renovado" (um clique); se for outra, escolha o novo certificado e habilite-o com a nova senha.',
  ];
  return { daysLeft, expired, notAfter, title, steps };
}
