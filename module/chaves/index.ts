/** The watched chaves folder: safe listing of `.pfx`/`.p12` files, bounded reads, live updates. */
export { ChavesCatalogue, type ChavesCatalogueOptions } from './catalogue.js';
export { scanChavesDir } from './scan.js';
export { isPlainFileName, isCertificateFileName, lookAlikeNames } from './file-names.js';
