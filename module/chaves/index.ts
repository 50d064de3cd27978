/** The watched chaves folder: safe listing of `.pfx`/`.p12` files, bounded reads, live updates. */
export { ChavesCatalogue, type ChavesCatalogueOptions } from './catalogue.js';
export { scanChavesDir, type ScanOptions } from './scan.js';
export { isPlainFileName, isCertificateFileName, lookAlikeNames } from './file-names.js';
export { DEFAULT_MAX_FILE_SIZE } from './safe-read.js';
