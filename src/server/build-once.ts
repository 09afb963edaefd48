/**
 * Builds named objects (services, middlewares) at most once per routing-table build, caching
 * failures too, so an object referenced by many routers is built and reported once.
 */

/** A cache of build results by name; `get` returns the object or throws its build error. */
export class BuildOnce<T> {
  private readonly results = new Map<string, T | Error>();

  constructor(private readonly build: (name: string) => T | Error) {}

  /** The object built for `name`; throws the Error its build returned. */
  get(name: string): T {
    let result = this.results.get(name);
    if (result === undefined) {
      result = this.build(name);
      this.results.set(name, result);
    }
    if (result instanceof Error) throw result;
    return result;
  }
}
