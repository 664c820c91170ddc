#!/usr/bin/env bash
# The README's quick start: borgops on the guide's example, with local repositories under a
# temporary directory, no root needed. Run it with `npm run demo` (which builds first).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${BORGOPS_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/borgops-quickstart.XXXXXX")}
borgops() { node "$here/../dist/borgops.cjs" "$@"; }
step() { printf '\n\033[1m$ borgops %s\033[0m\n' "$*"; }

# The example to run: examples/clan-storagebox (default), or examples/clan-inventory (the same
# machine as `nix eval --json` prints a clan flake's inventory and clan.core.state).
example=$(cd "${1:-$here/clan-storagebox}" && pwd)

# A config repository made from the example; the Storage Box destination is pointed at a local
# repository so the demo needs no network and no SSH key.
mkdir -p "$work/config" "$work/root" "$work/repos"
cp -r "$example/." "$work/config/"
node -e '
  const fs = require("node:fs");
  const [file, repo] = process.argv.slice(1);
  const inventory = JSON.parse(fs.readFileSync(file, "utf8"));
  // wherever the example declares it: machine, role or tag settings
  const visit = (node) => {
    if (node === null || typeof node !== "object") return;
    const destination = node.destinations?.storagebox;
    if (destination) {
      destination.repo = repo;
      delete destination.rsh;
    }
    for (const value of Object.values(node)) visit(value);
  };
  visit(inventory);
  fs.writeFileSync(file, JSON.stringify(inventory, null, 2) + "\n");
' "$work/config/inventory.json" "$work/repos/storagebox"
git -C "$work/config" init -q --initial-branch=main
git -C "$work/config" add -A
git -C "$work/config" -c user.name=demo -c user.email=demo@borgops.invalid commit -q -m "jon backs up to storagebox ($(basename "$example"))"

common=(--source "$work/config" --machine jon --root "$work/root")
step validate "${common[@]}"
borgops validate "${common[@]}"
step state list jon "${common[@]}"
borgops state list jon "${common[@]}"


# Converge jon: generate the passphrase, borg init the repository, install the hooks and the
# schedule, and keep the applied declarations (what backups run against, without git).
step apply "${common[@]}"
borgops apply "${common[@]}"

# Some state to back up, under --root (a folder /var/lib/zerotier-one is <root>/var/lib/zerotier-one).
mkdir -p "$work/root/var/backup/linkding" "$work/root/var/lib/zerotier-one"
echo 'bookmarks' > "$work/root/var/backup/linkding/db.sqlite3"
echo 'zerotier identity' > "$work/root/var/lib/zerotier-one/identity.public"

# The guide's "Managing backups": create, list, restore (one state, into a staging directory).
host=(--root "$work/root")
step backups create jon "${host[@]}"
borgops backups create jon "${host[@]}"
step backups list jon "${host[@]}"
borgops backups list jon "${host[@]}"
name=$(borgops backups list jon "${host[@]}" | tail -n 1)
step backups restore --service zerotier jon borgbackup "$name" --target "$work/restored" "${host[@]}"
borgops backups restore --service zerotier jon borgbackup "$name" --target "$work/restored" "${host[@]}"
diff -r "$work/root/var/lib/zerotier-one" "$work/restored/var/lib/zerotier-one" && echo "restored copy matches"

printf '\nconfig repository: %s\nroot: %s\nrepositories: %s\n' "$work/config" "$work/root" "$work/repos"
