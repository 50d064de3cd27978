/** The present rules as the EJS views call them (`helpers` in every view), bound to the installation's time zone. */
import { daysLeftText, formatDate, formatDateTime } from './dates.js';
import { environmentLabel, formatCnpj, servicesInSentence, servicesLabel } from './labels.js';
import { UNSAFE_CHARS_SOURCE, commonNameOf, displayName } from './names.js';

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
    commonNameOf,
    /** The pattern of `displayName`, for the browser script (data-unsafe-chars). */
    unsafeChars: UNSAFE_CHARS_SOURCE,
  };
}
