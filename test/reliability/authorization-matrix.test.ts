import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_ROUTES } from '../../functions/handlers/http/routes';
import { startTestService, type TestService } from '../support/test-service';

describe('every route refuses whoever may not call it', () => {
  let t: TestService;
  let customer: string;
  let staff: string;
  let ids: Record<string, string>;

  beforeAll(async () => {
    t = await startTestService();
    const admin = await t.api.adminToken();
    customer = await t.api.register('matrix@example.test');
    const door = {
      email: 'matrix-door@example.test',
      password: 'door-password',
      name: 'Door',
      role: 'staff',
    };
    expect((await t.api.request('POST', '/api/admin/users', { token: admin, body: door })).status).toBe(201);
    staff = await t.api.login(door.email, door.password);
    const owner = await t.api.register('matrix-owner@example.test');
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 10 }]);
    const hold = await t.api.request('POST', '/api/reservations', {
      token: owner,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
    });
    ids = { concert: concert.id, reservation: hold.body.reservation.id };
  });
  afterAll(async () => {
    await t?.close();
  });

  const pathFor = (path: string) =>
    path.replace('{id}', path.includes('reservations') ? (ids.reservation ?? '') : (ids.concert ?? ''));

  it.each(
    HTTP_ROUTES.filter((route) => route.access !== 'public').map(
      (route) => [`${route.method} ${route.path}`, route] as const,
    ),
  )('%s: 401 without a valid token', async (_name, route) => {
    for (const token of [undefined, 'garbage', `${customer}tampered`]) {
      const response = await t.api.request(route.method, pathFor(route.path), {
        ...(token ? { token } : {}),
        ...(route.method === 'GET' ? {} : { rawBody: '{}' }),
      });
      expect(response.status).toBe(401);
    }
  });

  it.each(
    HTTP_ROUTES.filter((route) => route.access === 'admin').map(
      (route) => [`${route.method} ${route.path}`, route] as const,
    ),
  )('%s: 403 for a customer', async (_name, route) => {
    const response = await t.api.request(route.method, pathFor(route.path), {
      token: customer,
      ...(route.method === 'GET' ? {} : { body: { title: 'x' } }),
    });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('FORBIDDEN');
  });

  it.each(
    HTTP_ROUTES.filter((route) => route.access === 'admin').map(
      (route) => [`${route.method} ${route.path}`, route] as const,
    ),
  )('%s: 403 for door staff (staff get no organiser power)', async (_name, route) => {
    const response = await t.api.request(route.method, pathFor(route.path), {
      token: staff,
      ...(route.method === 'GET' ? {} : { body: { title: 'x' } }),
    });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('FORBIDDEN');
  });

  it.each(
    HTTP_ROUTES.filter((route) => route.access === 'staff').map(
      (route) => [`${route.method} ${route.path}`, route] as const,
    ),
  )('%s: 403 for a customer, let through for door staff', async (_name, route) => {
    const send = (token: string) =>
      t.api.request(route.method, pathFor(route.path), {
        token,
        ...(route.method === 'GET' ? {} : { body: { code: 'NONE-NONE-NONE-NONE', deviceId: 'matrix' } }),
      });
    const refused = await send(customer);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('FORBIDDEN');
    expect((await send(staff)).status).not.toBe(403);
  });

  it.each(
    // Routes on an object a user owns (a reservation); a concert's queue or waiting list is anyone's to join.
    HTTP_ROUTES.filter((route) => route.access === 'user' && route.path.includes('/reservations/{id}')).map(
      (route) => [`${route.method} ${route.path}`, route] as const,
    ),
  )("%s: 404 for someone else's object (no enumeration)", async (_name, route) => {
    const response = await t.api.request(route.method, pathFor(route.path), { token: customer });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });
});
