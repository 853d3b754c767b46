import { logIn } from '../core/auth.service';
import { httpHandler } from './http/http-handler';
import { loginBody } from './http/schemas';

export const handler = httpHandler('auth-login', async (request, services) => {
  const session = await logIn(services.auth, request.body(loginBody), request.clientAddress);
  return { status: 200, body: session };
});
