/**
 * Where the next page of a user's activity starts: after the event with this time and id (the
 * order of the log: newest first, then highest id). Opaque to clients: base64url of `<epoch
 * ms>.<id>`. Times are written in milliseconds (SecurityEvents), so the one in a cursor is exact.
 */
export interface ActivityCursor {
  at: Date;
  id: string;
}

export function encodeCursor(cursor: ActivityCursor): string {
  return Buffer.from(`${cursor.at.getTime()}.${cursor.id}`).toString('base64url');
}

/** The cursor `text` encodes, or undefined when it is not one encodeCursor could have made. */
export function decodeCursor(text: unknown): ActivityCursor | undefined {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]{1,48}$/.test(text)) return undefined;
  const match = /^(\d{1,15})\.([1-9]\d{0,17})$/.exec(Buffer.from(text, 'base64url').toString('latin1'));
  if (!match) return undefined;
  const cursor = { at: new Date(Number(match[1])), id: match[2] };
  // One spelling per cursor: base64url would also read some strings that differ from it.
  return encodeCursor(cursor) === text ? cursor : undefined;
}
