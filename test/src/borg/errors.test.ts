import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BorgError, isBorgError } from '../../../src/borg/errors.js';
import { BorgopsError, isBorgopsError } from '../../../src/errors.js';

describe('BorgError', () => {
  it('names itself, so logs and stacks say which error it is', () => {
    const error = new BorgError('repository does not exist', { command: 'list', failure: 'missing' });
    expect(error.name).toBe('BorgError');
    expect(String(error)).toBe('BorgError: repository does not exist');
    expect(inspect(error)).toMatch(/^BorgError: repository does not exist/);
    expect(isBorgError(error) && isBorgopsError(error, 'E_BORG')).toBe(true);
    expect(new BorgopsError('E_HOST', 'x').name).toBe('BorgopsError');
  });
});
