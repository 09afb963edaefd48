/**
 * `switchyard explain` for a connection: which TCP router takes a TLS ClientHello with SNI x (or
 * a plaintext connection) on each entry point, and for every router tried before it, why its rule
 * did not match. The same table and order the entry points use.
 */
import { explainTcpRule, type TcpMatchInput, type TcpRuleExplanation } from '../tcp/rule.js';
import type { TcpRoutingTable, TcpTlsMode } from '../tcp/table.js';

/** One router tried for a connection. */
export interface TcpTried {
  name: string;
  priority: number;
  rule: string;
  tls: TcpTlsMode;
  matched: boolean;
  explanation: TcpRuleExplanation;
}

/** The verdict on one entry point: routers tried in order, and the one that takes the connection. */
export interface TcpEntryVerdict {
  entryPoint: string;
  tried: TcpTried[];
  router: string | null;
}

/** Explains, per entry point, which TCP router takes a connection like `input`. */
export function explainConnection(
  table: TcpRoutingTable,
  entryPoints: readonly string[],
  input: TcpMatchInput,
): TcpEntryVerdict[] {
  return entryPoints.map((entryPoint) => {
    const routes = table.of(entryPoint);
    const list = input.tls ? routes.tls : routes.plaintext;
    const tried: TcpTried[] = [];
    let router: string | null = null;
    for (const route of list) {
      const explanation = explainTcpRule(route.rule.rule, input);
      tried.push({
        name: route.name,
        priority: route.priority,
        rule: route.rule.rule,
        tls: route.tls,
        matched: explanation.matched,
        explanation,
      });
      if (explanation.matched) {
        router = route.name;
        break;
      }
    }
    return { entryPoint, tried, router };
  });
}
