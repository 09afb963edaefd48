/**
 * The Docker provider's translation: container-inspect objects in, one dynamic configuration out.
 * A thin wrapper (part of the package API): containers become Workloads (container-workload.ts)
 * and the neutral label translation (../labels/) does the rest.
 */
import {
  buildLabelConfiguration,
  type CompiledLabelOptions,
  compileLabelOptions,
  type LabelConfigurationResult,
  type LabelTranslationOptions,
} from '../labels/build-configuration.js';
import { defaultServiceName as workloadServiceName } from '../labels/workload.js';
import type { ContainerInspect } from './container-inspect.js';
import { workloadFromContainer, workloadsFromContainers } from './container-workload.js';

export { DEFAULT_RULE } from '../labels/build-configuration.js';
export type { ContainerInspect } from './container-inspect.js';

/** The provider options the translation uses (Traefik's `providers.docker`), plus draining by container id. */
export type DockerTranslationOptions = LabelTranslationOptions;

/** The options compiled once: template and constraints parsed, defaults applied. */
export type CompiledDockerOptions = CompiledLabelOptions;

/** What the translation produced: the configuration, the problems on its objects, and general warnings. */
export type DockerConfigurationResult = LabelConfigurationResult;

/** Applies defaults and compiles the default rule and constraints; throws ConfigError when they are invalid. */
export const compileDockerOptions: (options?: DockerTranslationOptions) => CompiledDockerOptions = compileLabelOptions;

/** The name of the service a container gets when its labels define none (compose: `<service>-<project>`). */
export function defaultServiceName(container: ContainerInspect): string {
  return workloadServiceName(workloadFromContainer(container));
}

/**
 * Translates containers into one dynamic configuration. Options may be raw (compiled here, and a
 * bad template or constraint throws ConfigError) or already compiled by compileDockerOptions.
 */
export function buildDockerConfiguration(
  containers: readonly ContainerInspect[],
  options: DockerTranslationOptions | (CompiledDockerOptions & { draining?: ReadonlySet<string> }) = {},
): DockerConfigurationResult {
  return buildLabelConfiguration(workloadsFromContainers(containers), options);
}
