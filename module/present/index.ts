/**
 * The presentation layer: every rule about what a person reads — dates and times in the installation's time zone,
 * days left in calendar days and their wording, labels, CNPJ/CPF/sizes, and the escaping of names. The screen (EJS),
 * the Status problems, the alerts, the CLI and the scripts all call these; none has a copy.
 */
export * from './dates.js';
export * from './labels.js';
export * from './names.js';
export * from './view-helpers.js';
