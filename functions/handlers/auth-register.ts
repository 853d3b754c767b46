import { registerUser } from '../core/auth.service';
import { httpHandler } from './http/http-handler';
import { registerBody } from './http/schemas';

export const handler = httpHandler('auth-register', async (request, services) => {
  const session = await registerUser(services.auth, request.body(registerBody), request.clientAddress);
  return { status: 201, body: session };
});
