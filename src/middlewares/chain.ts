/**
 * chain: a named, reusable list of middlewares. The members are resolved and built once, when
 * the chain is built; the first listed is the outermost, so it sees the request first.
 */
import { z } from 'zod';
import { OptionError, stringList } from './options.js';
import type { Handler, MiddlewareDefinition, MiddlewareWrapper } from './types.js';

const schema = z.strictObject({
  middlewares: stringList,
});

/** Validated chain options. */
export type ChainOptions = z.output<typeof schema>;

/** The chain middleware type. */
export const chain: MiddlewareDefinition<ChainOptions> = {
  type: 'chain',
  schema,
  build(options, context) {
    const wrappers: MiddlewareWrapper[] = options.middlewares.map((name, index) => {
      try {
        return context.resolve(name);
      } catch (error) {
        // The member's own MiddlewareError keeps its location; anything else (unknown name,
        // cycle) is a fault of this chain's list.
        if (error instanceof Error && error.name === 'MiddlewareError') throw error;
        throw new OptionError(
          `middlewares.${index}`,
          `cannot use middleware ${JSON.stringify(name)}: ${String((error as Error)?.message ?? error)}`,
        );
      }
    });
    return (next: Handler): Handler => {
      let handler = next;
      for (let i = wrappers.length - 1; i >= 0; i--) handler = wrappers[i]!(handler);
      return handler;
    };
  },
};
