/** The present rules as the EJS views call them (`helpers` in every view), bound to the installation's time zone. */
import { daysLeftText, formatDate, formatDateTime } from './dates.js';
import { ENTRY_REASON_SHORT, environmentLabel, formatCnpj, servicesInSentence, servicesLabel } from './labels.js';
import { commonNameOf, displayName } from './names.js';

export function viewHelpers(timeZone: string) {
  return {
    formatDate: (value: string | Date) => formatDate(value, timeZone),
    formatDateTime: (value: string | Date) => formatDateTime(value, timeZone),
    daysLeftText,
    environmentLabel,
    servicesLabel,
    servicesInSentence,
    formatCnpj,
    displayName,
    entryReasons: ENTRY_REASON_SHORT,
    commonNameOf,
  };
}
