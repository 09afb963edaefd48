/** Qualified object names (`api@docker`): how every layer names routers, services and middlewares. */

/** Qualifies a reference made by an object of `provider`: `x` → `x@provider`, `x@p` unchanged. */
export function qualify(name: string, provider: string): string {
  return name.includes('@') ? name : `${name}@${provider}`;
}

/** The provider part of a qualified name. */
export function providerOf(qualified: string): string {
  const at = qualified.lastIndexOf('@');
  return at === -1 ? '' : qualified.slice(at + 1);
}

/** The name as its provider wrote it, without the provider part (`db@file` → `db`). */
export function localName(qualified: string): string {
  const at = qualified.lastIndexOf('@');
  return at === -1 ? qualified : qualified.slice(0, at);
}
