import { describe, expect, it } from '@jest/globals';
import { decodeCursor, encodeCursor } from './activity-cursor.js';

describe('activity cursor', () => {
  it('reads back what it wrote, and is URL-safe', () => {
    const cursor = { at: new Date('2026-03-01T10:00:00.123Z'), id: '9007199254740993' };
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it.each([
    ['nothing', ''],
    ['not base64url', 'a+b/c='],
    ['no separator', Buffer.from('1772359200123').toString('base64url')],
    ['a time that is not a number', Buffer.from('soon.12').toString('base64url')],
    ['an id that is not a number', Buffer.from('1772359200123.x').toString('base64url')],
    ['id 0', Buffer.from('1772359200123.0').toString('base64url')],
    ['an id beyond bigint', Buffer.from('1772359200123.9999999999999999999').toString('base64url')],
    ['something after it', Buffer.from('1772359200123.12;DROP').toString('base64url')],
    ['too long', 'A'.repeat(49)],
    ['an array (?before=a&before=b)', ['a', 'b']],
  ])('refuses %s', (_case, text) => {
    expect(decodeCursor(text)).toBeUndefined();
  });
});
