import { registerUser } from '../core/auth.service';
import { httpHandler } from './http/http-handler';
import { registerBody } from './http/schemas';

export const handler = httpHandler('auth-register', ['auth'], async (request, { auth }) => {
  const session = await registerUser(auth, request.body(registerBody), request.clientAddress);
  return { status: 201, body: session };
});
