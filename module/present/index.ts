/**
 * The presentation layer: every rule about what a person reads — dates and times in the installation's time zone,
 * days left in calendar days and their wording, the expiry thresholds, labels, CNPJ/CPF/sizes, and the escaping of
 * names. The screen (EJS), the Status problems, the alerts, the CLI and the scripts all call these; none has a copy.
 */
export {
  DEFAULT_TIME_ZONE,
  EXPIRING_DAYS,
  EXPIRY_ALERT_CRITICAL_DAYS,
  EXPIRY_ALERT_DAYS,
  MONITORING_CRITICAL_DAYS,
  MONITORING_WARNING_DAYS,
  TIME_ZONE_EXPECTED,
  UF_TIME_ZONES,
  canonicalTimeZone,
  daysLeft,
  daysLeftText,
  expiryText,
  formatDate,
  formatDateTime,
  resolveTimeZone,
} from './dates.js';
export { ALERT_CHANNEL_LABEL, ENTRY_REASON_SHORT, ENTRY_STATUS_LABEL, STATE_EXPLAINED, STATE_LABEL, environmentLabel, formatBytes, formatCnpj, formatCpf, formatNumber, servicesInSentence, servicesLabel } from './labels.js';
export { commonNameOf, displayName, hasUnsafeChars, safeJsonText } from './names.js';
