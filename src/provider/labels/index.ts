/** The neutral label translation: Workloads in, dynamic configuration out, for every label-reading provider. */
export {
  buildLabelConfiguration,
  type CompiledLabelOptions,
  compileLabelOptions,
  DEFAULT_RULE,
  type LabelConfigurationResult,
  type LabelTranslationOptions,
} from './build-configuration.js';
export {
  defaultServiceName,
  describeWorkload,
  type HostBinding,
  isServing,
  type Workload,
  type WorkloadAddress,
  type WorkloadHealth,
} from './workload.js';
