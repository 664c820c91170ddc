/** Where declarations live in a config repository (design.md: the config repository). */
export const INVENTORY_FILES = ['inventory.json', 'inventory.yaml'] as const;

const stateFile = /^machines\/([^/]+)\/state\.(json|yaml)$/;
const publicKeyFile = /^machines\/([^/]+)\/borgbackup\.ssh\.pub$/;
const secretFile = /^machines\/([^/]+)\/secrets\/([^/]+)\.(passphrase|key)\.age$/;
const misnamed = /^(inventory\.yml|machines\/[^/]+\/state\.yml)$/;

export type ConfigFile =
  | { kind: 'inventory'; path: string }
  | { kind: 'state'; path: string; machine: string }
  | { kind: 'public-key'; path: string; machine: string }
  /** `machines/<m>/secrets/<d>.passphrase.age` or `<d>.key.age`: age-encrypted, ASCII-armored. */
  | { kind: 'secret'; path: string; machine: string; destination: string; secret: SecretKind }
  | { kind: 'misnamed'; path: string };

export type SecretKind = 'passphrase' | 'key';

/** Where a destination's committed secret lives in the config repository. */
export function secretFilePath(machine: string, destination: string, secret: SecretKind): string {
  return `machines/${machine}/secrets/${destination}.${secret}.age`;
}

export function classify(path: string): ConfigFile | undefined {
  if ((INVENTORY_FILES as readonly string[]).includes(path)) return { kind: 'inventory', path };
  const state = stateFile.exec(path);
  if (state?.[1]) return { kind: 'state', path, machine: state[1] };
  const key = publicKeyFile.exec(path);
  if (key?.[1]) return { kind: 'public-key', path, machine: key[1] };
  const secret = secretFile.exec(path);
  if (secret?.[1] && secret[2] && secret[3])
    return {
      kind: 'secret',
      path,
      machine: secret[1],
      destination: secret[2],
      secret: secret[3] as SecretKind,
    };
  if (misnamed.test(path)) return { kind: 'misnamed', path };
  return undefined;
}

/** True for paths the loader reads, so a git tree listing can be filtered before reading blobs. */
export function isConfigPath(path: string): boolean {
  return classify(path) !== undefined;
}

/**
 * True for the directories a config file can be in ('' is the config directory itself):
 * `machines`, `machines/<m>` and `machines/<m>/secrets`. A commit's read walks only these trees.
 */
export function mayHoldConfigFiles(dir: string): boolean {
  return dir === '' || dir === 'machines' || /^machines\/[^/]+(\/secrets)?$/.test(dir);
}
