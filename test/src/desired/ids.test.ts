import { describe, expect, it } from 'vitest';
import { compile } from '../../../src/desired/compile.js';
import {
  movedScheduleId,
  nameOf,
  parseResourceId,
  resourceId,
  SSH_KEY_ID,
} from '../../../src/desired/ids.js';
import { declarationsOf } from '../../helpers/declarations.js';
import { localConfig } from '../../helpers/fleet.js';

describe('resource ids (one module builds and parses them)', () => {
  it.each([
    ['hook/pre-backup-linkding', { kind: 'hook', name: 'pre-backup-linkding' }],
    ['schedule/local', { kind: 'schedule', name: 'local' }],
    ['schedule/local@systemd', { kind: 'schedule', name: 'local', backend: 'systemd' }],
    ['authorized-key/sara', { kind: 'authorized-key', name: 'sara' }],
    // a slash inside the name stays in the name; `@` means a backend only for schedules
    ['served-repository/a/b', { kind: 'served-repository', name: 'a/b' }],
    ['hook/x@y', { kind: 'hook', name: 'x@y' }],
    ['machine', { kind: 'machine', name: '' }],
  ])('parses %s', (id, parsed) => {
    expect(parseResourceId(id)).toEqual(parsed);
  });

  it('round-trips what it builds', () => {
    expect(parseResourceId(resourceId('retention', 'local'))).toEqual({ kind: 'retention', name: 'local' });
    expect(parseResourceId(movedScheduleId('local', 'cron'))).toEqual({
      kind: 'schedule',
      name: 'local',
      backend: 'cron',
    });
    expect(nameOf(SSH_KEY_ID)).toBe('client');
  });

  it('is what compile names every resource', () => {
    const desired = compile(declarationsOf(localConfig({ local: '/srv/borg/local' })), 'jon');
    expect(desired.resources.length).toBeGreaterThan(4);
    for (const resource of desired.resources) {
      const { kind, name } = parseResourceId(resource.id);
      expect(kind).toBe(resource.kind);
      expect(resourceId(resource.kind, name)).toBe(resource.id);
    }
  });
});
