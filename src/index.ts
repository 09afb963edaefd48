/**
 * Switchyard's public API: the rule compiler, configuration loading and validation, the Docker
 * translation, and the process itself for embedding and tests.
 */

export type { ApiHandler, InternalApi } from './api/index.js';
export { canonicalizeKeys } from './config/canonicalize.js';
export type { DynamicConfiguration } from './config/dynamic-schema.js';
export { parseDynamicFile, validateDynamicConfiguration } from './config/dynamic-validate.js';
export { decodeLabels, labelsToTree, treeToLabels } from './config/labels.js';
export { loadStaticConfiguration } from './config/static-loader.js';
export type { StaticConfiguration } from './config/static-schema.js';
export type { ConfigIssue } from './core/config-issue.js';
export type { Logger } from './core/logger.js';
export type { Handler, RequestContext } from './core/request-context.js';
export {
  ConfigError,
  ConfigParseError,
  ListenError,
  MiddlewareError,
  ProviderError,
  RuleSyntaxError,
  SwitchyardError,
} from './errors.js';
export { buildDockerConfiguration } from './provider/docker/build-configuration.js';
export type { Provider, ProviderSink, ProviderSnapshot } from './provider/provider.js';
export { compileRule, type RuleRequest } from './rules/index.js';
export { type Assembly, assembleSwitchyard, createSwitchyard } from './server/create.js';
export { Switchyard, type SwitchyardOptions } from './server/switchyard.js';
export { VERSION } from './version.js';
