/** A configuration problem as data: what, where, how bad. Found by validation, shown by the API and `check`. */

/** One problem found in a provider's configuration, attached to the object at `path`. */
export interface ConfigIssue {
  /** Key path of the faulty object or field, e.g. `['http', 'routers', 'api', 'rule']`. */
  path: string[];
  message: string;
  /** `file:line:column` (files) or another human locator (`container web-1`). */
  location?: string;
  severity: 'error' | 'warning';
}
