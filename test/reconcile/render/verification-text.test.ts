import { describe, expect, it } from 'vitest';
import type { VerificationRun } from '../../../reconcile/operations/verification.js';
import { renderVerification } from '../../../reconcile/render/verification-text.js';

describe('renderVerification', () => {
  it('shows a file name with a line break or an escape sequence as escapes, one line each', () => {
    const hostile = 'srv/app/a\njon: every drill passed\u001b[2J';
    const run: VerificationRun = {
      kind: 'drill',
      machine: 'jon',
      ok: false,
      interrupted: false,
      notifications: [],
      results: [
        {
          kind: 'drill',
          machine: 'jon',
          destination: 'local',
          repo: '/r',
          ok: false,
          startedAt: '2026-11-30T00:00:00Z',
          durationSeconds: 1.25,
          archive: 'jon-local-2026-11-30T00:00:00',
          files: 0,
          bytes: 1536,
          states: [
            {
              state: 'app',
              folders: ['/srv/app'],
              status: 'failed',
              files: 0,
              bytes: 1536,
              warnings: [],
              failure: { class: 'mismatch', message: `app: 1 file(s) differ: ${hostile}: not extracted` },
            },
          ],
          failure: { class: 'mismatch', message: 'local: app failed' },
        },
      ],
    };
    expect(renderVerification(run)).toBe(
      [
        'local: drill of jon-local-2026-11-30T00:00:00 FAILED (mismatch) in 1.3s',
        '  verified 0 files, 1.5 KiB (size and sha256)',
        '  app: failed, 0 files, 1.5 KiB — app: 1 file(s) differ: srv/app/a\\njon: every drill passed\\x1b[2J: not extracted',
        'jon: drill failed for local',
        '',
      ].join('\n'),
    );
  });
});
