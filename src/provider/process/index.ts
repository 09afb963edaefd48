/** The process provider: `switchyard up`'s embedded engine (compose file → supervised local replicas). */
export { type ComposeProject, loadComposeProject, type ProcessServiceSpec } from './compose-file.js';
export { ProcessProvider, type ProcessProviderOptions } from './process-provider.js';
export type { ReplicaView, ServiceView, StackView } from './stack-view.js';
