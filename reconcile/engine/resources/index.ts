import type { ResourceKind } from '../../../src/desired/types.js';
import { authorizedKey } from './authorized-key.js';
import { hook } from './hook.js';
import { keyExport } from './key-export.js';
import type { ApplyRuntime, KindModule, ObserveInput } from './kind.js';
import { receiver } from './receiver.js';
import { repository } from './repository.js';
import { retention } from './retention.js';
import { schedule } from './schedule.js';
import { secret } from './secret.js';
import { servedRepository } from './served-repository.js';
import { serverUser } from './server-user.js';
import { sshKey } from './ssh-key.js';
import { sshTrust } from './ssh-trust.js';

/**
 * Every resource kind, in the order the engine observes, plans and applies them (a kind sees
 * what the kinds before it observed; keys and secrets come before repositories, files after).
 * Adding a kind: one file in this folder, one line here (ARCHITECTURE.md).
 */
export const KINDS = [
  sshKey,
  secret,
  repository,
  keyExport,
  retention,
  hook,
  schedule,
  serverUser,
  servedRepository,
  authorizedKey,
  sshTrust,
  receiver,
] as const;

type Kinds = (typeof KINDS)[number];

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;

type ActionOf<M> = M extends { apply?(action: infer A, runtime: ApplyRuntime): Promise<void> } ? A : never;
type ObservedOf<M> = M extends { observe?(input: ObserveInput): Promise<infer O> } ? O : never;

/** Every action of every kind (a union on `op`). */
export type KindAction = ActionOf<Kinds>;

/** What the kinds observe, merged: `{ hooks } & { secrets } & …`. */
export type KindObserved = UnionToIntersection<ObservedOf<Kinds>>;

const byKind = new Map<string, KindModule>(
  KINDS.flatMap((module): [string, KindModule][] =>
    module.kind === undefined ? [] : [[module.kind, module]],
  ),
);

/** The module of a compiled resource kind. */
export function kindModule(kind: ResourceKind): KindModule {
  const module = byKind.get(kind);
  if (!module) throw new Error(`no module for resource kind ${kind}`);
  return module;
}
