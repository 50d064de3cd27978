/** RNDS: environments, the mutual-TLS token client and the connection test. No Express here. */
export {
  resolveEnvironments,
  tokenUrl,
  readCaFile,
  buildTrustedCa,
  type EnvironmentUrls,
} from './environments.js';
export {
  TokenClient,
  interpretExpiresIn,
  FALLBACK_EXPIRES_IN_MS,
  clockReadingOf,
  type ClockReading,
  type RndsToken,
  type TokenClientOptions,
} from './token-client.js';
export { testConnection, type ConnectionTestInput } from './connection.js';
export {
  parseProxyUrl,
  bypassesProxy,
  proxyFor,
  describeVia,
  type ProxySettings,
} from './proxy-settings.js';
export { formatStep } from './steps.js';
export {
  TokenRequestError,
  isTokenRequestError,
  classifyRequestError,
  classifyHttpStatus,
  classifyProxyError,
  PROXY_FAILURE_REASONS,
} from './failure.js';
