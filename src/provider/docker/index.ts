/** The Docker provider: the client and the pure translation, as the package entry re-exports them. */
export {
  buildDockerConfiguration,
  type CompiledDockerOptions,
  type ContainerInspect,
  compileDockerOptions,
  DEFAULT_RULE,
  type DockerConfigurationResult,
  type DockerTranslationOptions,
  defaultServiceName,
} from './build-configuration.js';
export { DockerProvider, type DockerProviderLogger, type DockerProviderOptions } from './docker-provider.js';
export { DEFAULT_DOCKER_ENDPOINT, resolveDockerEndpoint } from './endpoint.js';
