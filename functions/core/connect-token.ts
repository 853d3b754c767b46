/**
 * The token a WebSocket connection carries at connect, the same rule for the shim's `/ws` and API
 * Gateway's `$connect`: `?token=` (what browsers can send: they cannot set headers on a WebSocket) or an
 * `Authorization: Bearer <token>` header (RFC 6750 §2.1; other schemes, such as a proxy's Basic, are not
 * ours and are ignored). Both may be sent only if they agree; a repeated `token` parameter is refused, so
 * the token verified at connect and the one an admin feed re-checks are the same. An empty value is none.
 *
 * @param queryTokens every value of the `token` query parameter, in order
 * @param authorization the `Authorization` header, if any
 * @returns `{ token }` (undefined: none sent) or `{ refused }` with a sentence for the client
 */
export function connectToken(
  queryTokens: readonly string[],
  authorization: string | undefined,
): { token?: string; refused?: string } {
  const fromQuery = queryTokens.filter((value) => value !== '');
  if (fromQuery.length > 1) return { refused: 'Send one token: the token parameter is repeated' };
  const bearer = authorization === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  if (authorization !== undefined && /^Bearer\b/i.test(authorization) && !bearer)
    return { refused: 'The Authorization header must be "Bearer <token>"' };
  const fromHeader = bearer?.[1];
  if (fromHeader !== undefined && fromQuery[0] !== undefined && fromHeader !== fromQuery[0])
    return { refused: 'The token parameter and the Authorization header carry different tokens' };
  return { token: fromQuery[0] ?? fromHeader };
}
