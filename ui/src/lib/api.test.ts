import { describe, expect, it } from 'vitest';
import { ApiError, readable, toApiError } from './api';

describe('toApiError', () => {
  it('keeps the code and message of a command error', () => {
    const err = toApiError({ code: 'basket_empty', message: 'add an item before paying' });
    expect(err).toBeInstanceOf(ApiError);
    expect([err.code, err.message]).toEqual(['basket_empty', 'add an item before paying']);
  });
  it("turns Tauri's refusal of a command into `forbidden`", () => {
    const err = toApiError('manager_stores not allowed. Permissions associated with this command: allow-manager-stores');
    expect(err.code).toBe('forbidden');
  });
  it('keeps anything else as an `ipc` error with its text', () => {
    expect(toApiError(new Error('boom'))).toMatchObject({ code: 'ipc', message: 'boom' });
    expect(toApiError(undefined).code).toBe('ipc');
  });
});

describe('readable', () => {
  it('quotes values the backend marks with backticks', () => {
    expect(readable('price `cheap` must be a number')).toBe('price “cheap” must be a number');
    expect(toApiError({ code: 'invalid_input', message: '`x` is not a valid id' }).message).toBe(
      '“x” is not a valid id',
    );
  });
});
