/** The middlewares: registry, builder, and the types a chain is made of. */
export { compileGoRegexp, compileGoTemplate } from './go-regexp.js';
export { loadLocalPlugins } from './plugin-host.js';
export {
  buildMiddleware,
  findMiddlewareType,
  middlewareRegistry,
  middlewareTypes,
  registerMiddleware,
} from './registry.js';
export type {
  Handler,
  MiddlewareBuildContext,
  MiddlewareDefinition,
  MiddlewareWrapper,
  RequestContext,
} from './types.js';
