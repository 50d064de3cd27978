/** RNDS: environments, the mutual-TLS token client and the connection test. No Express here. */
export {
  RNDS_DEFAULT_URLS,
  UFS,
  resolveEnvironments,
  tokenUrl,
  hostOf,
  parseCaPem,
  readCaFile,
  buildTrustedCa,
  type EnvironmentUrls,
  type EnvironmentOverrides,
} from './environments.js';
export {
  TokenClient,
  interpretExpiresIn,
  redactToken,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_RENEW_MARGIN_MS,
  FALLBACK_EXPIRES_IN_MS,
  type ClientCertificate,
  type RndsLogger,
  type RndsToken,
  type TokenClientOptions,
} from './token-client.js';
export { testConnection, CONNECTION_TEST_TIMEOUT_MS, TOKEN_PATHS, type ConnectionTestInput } from './connection.js';
export {
  parseProxyUrl,
  proxyFromEnv,
  noProxyFromEnv,
  bypassesProxy,
  proxyFor,
  describeVia,
  type ProxyConfig,
  type ProxySettings,
  type ProxySource,
} from './proxy.js';
export { StepRecorder, formatStep } from './steps.js';
export {
  TokenRequestError,
  isTokenRequestError,
  classifyRequestError,
  classifyHttpStatus,
  classifyProxyError,
  classifyConnectStatus,
  PROXY_FAILURE_REASONS,
  type FailureReason,
  type FailureStatus,
  type RequestPhase,
} from './failure.js';
