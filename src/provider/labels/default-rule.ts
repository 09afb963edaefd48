/**
 * The default rule is a Go template (`Host(\`{{ normalize .Name }}\`)`), rendered by the one
 * template engine (src/template/) with what Traefik gives it: sprig's functions plus
 * `normalize`, and as dot a struct of `Name`, `ContainerName` and `Labels`. The template is
 * compiled once, when the provider is configured, so a syntax error or an unknown function
 * fails at startup; an unknown field fails per container when rendered, as in Traefik (that
 * container gets no default router, its service stays).
 */
import { ConfigError } from '../../errors.js';
import { type CompiledTemplate, compileTemplate, fixed, GoStruct } from '../../template/index.js';
import { normalizeName } from './normalize.js';

/** What `.` is when a default rule is rendered for one container. */
export interface DefaultRuleData {
  /** The service name (compose: `<service>-<project>`, else the normalised container name). */
  Name: string;
  /** The container name without the leading slash. */
  ContainerName: string;
  /** All the container's labels. */
  Labels: Record<string, string>;
}

/** Go's spelling of the data's type, which its "can't evaluate field" errors name. */
const DATA_TYPE = 'struct { Name string; ContainerName string; Labels map[string]string }';

const FUNCTIONS = { normalize: fixed(1, ([name]) => normalizeName(String(name ?? ''))) };

/** A default rule compiled once; `render` fills it for one container (throws on a runtime fault). */
export interface DefaultRuleTemplate {
  readonly source: string;
  render(data: DefaultRuleData): string;
}

/** Compiles a default-rule template; throws ConfigError naming the fault and its position. */
export function compileDefaultRule(source: string): DefaultRuleTemplate {
  let template: CompiledTemplate;
  try {
    template = compileTemplate(source, { name: 'providers.docker.defaultRule', functions: FUNCTIONS });
  } catch (error) {
    throw new ConfigError(
      `invalid default rule template ${JSON.stringify(source)}: ${(error as Error).message}`,
      'providers.docker.defaultRule',
      error,
    );
  }
  return {
    source,
    render: (data) =>
      template.render(
        new GoStruct(DATA_TYPE, { Name: data.Name, ContainerName: data.ContainerName, Labels: { ...data.Labels } }),
      ),
  };
}
