import { createAccount } from '../core/accounts.service';
import { httpHandler } from './http/http-handler';
import { createUserBody } from './http/schemas';

/**
 * POST /api/admin/users (admin): makes an account with a role, e.g. door staff. An existing e-mail is 409
 * EMAIL_TAKEN and changes nothing (changing an account is the operator CLI's `create-user --update`).
 */
export const handler = httpHandler('admin-users-create', ['auth'], async (request, { auth }) => {
  await request.admin();
  const { user } = await createAccount(auth, request.body(createUserBody));
  return { status: 201, body: { user } };
});
