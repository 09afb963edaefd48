#!/usr/bin/env bash
# Builds an offline Node.js base image with `docker import` (no registry is reachable here), unless
# the tag exists already. The image holds the host's node binary and the shared libraries it needs,
# /bin/sh (dash) and /usr/bin/env (npm scripts run `sh -c`, and node_modules/.bin shims start with
# `#!/usr/bin/env node`), npm behind a small sh wrapper, the CA certificates, a `node` user
# (uid/gid 1000) and /tmp. Prints the tag on stdout's last line.
#   usage: make-base-image.sh [TAG]      (default switchyard/node-base:local; FORCE=1 rebuilds)
set -euo pipefail

tag="${1:-${SWITCHYARD_BASE_IMAGE:-switchyard/node-base:local}}"
say() { printf '[make-base-image] %s\n' "$*" >&2; }

if [ "${FORCE:-0}" != 1 ] && docker image inspect "$tag" >/dev/null 2>&1; then
  say "$tag exists already"
  echo "$tag"
  exit 0
fi

node_bin="$(readlink -f "$(command -v node)")"
npm_cli="$(readlink -f "$(command -v npm)")"            # …/node_modules/npm/bin/npm-cli.js
npm_dir="$(dirname "$(dirname "$npm_cli")")"
sh_bin="$(readlink -f /bin/sh)"
env_bin="$(readlink -f "$(command -v env)")"
[ -f "$npm_dir/package.json" ] || { say "cannot find npm's folder (got $npm_dir)"; exit 1; }

root="$(mktemp -d /tmp/switchyard-base.XXXXXX)"
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"   # mktemp makes it 0700, and it becomes the image's /

# Copies a file (following links) to the same absolute path inside the image.
put() {
  local src="$1" dest="${2:-$1}"
  mkdir -p "$root$(dirname "$dest")"
  cp -L "$src" "$root$dest"
}

# Copies a binary and every library ldd lists, under the paths ldd prints (so the loader finds them).
put_with_libs() {
  local bin="$1" dest="$2" lib
  put "$bin" "$dest"
  while read -r lib; do
    [ -n "$lib" ] && [ -e "$lib" ] && put "$lib"
  done < <(ldd "$bin" | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]+/ { print $1 }')
}

put_with_libs "$node_bin" /usr/local/bin/node
ln -s ../local/bin/node "$root/usr/bin/node" 2>/dev/null || { mkdir -p "$root/usr/bin"; ln -s ../local/bin/node "$root/usr/bin/node"; }
put_with_libs "$sh_bin" /bin/sh
put_with_libs "$env_bin" /usr/bin/env

mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
for tool in npm npx; do
  printf '#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/%s-cli.js "$@"\n' "$tool" \
    >"$root/usr/local/bin/$tool"
  chmod 755 "$root/usr/local/bin/$tool"
done

mkdir -p "$root/etc/ssl/certs"
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
node:x:1000:1000:node:/home/node:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
node:x:1000:
nogroup:x:65534:
GROUP
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
mkdir -p "$root/tmp" "$root/root" "$root/home/node" "$root/app"
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
chown 1000:1000 "$root/home/node" "$root/app"

tarball="$root.tar"
trap 'rm -rf "$root" "$tarball"' EXIT
# Numeric owners: root everywhere (this script runs as root), except the node user's home and /app.
tar --numeric-owner -C "$root" -cf "$tarball" .
say "importing $(du -h "$tarball" | cut -f1) as $tag (node $("$node_bin" --version), npm $(node "$npm_cli" --version))"
docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'WORKDIR /app' \
  --change 'CMD ["node"]' \
  --message "switchyard offline node base from the host's node $("$node_bin" --version)" \
  "$tarball" "$tag" >/dev/null
say "done"
echo "$tag"
