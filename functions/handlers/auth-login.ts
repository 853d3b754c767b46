import { logIn } from '../core/auth.service';
import { httpHandler } from './http/http-handler';
import { loginBody } from './http/schemas';

export const handler = httpHandler('auth-login', ['auth'], async (request, { auth }) => {
  const session = await logIn(auth, request.body(loginBody), request.clientAddress);
  return { status: 200, body: session };
});
