import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../functions/config/service-config';
import type { Concert, Principal } from '../../functions/core/model';
import { type RunningService, type StartOptions, startService } from '../../local/service';
import { createTestDatabase, type TestDatabase } from './postgres';

export const TEST_ADMIN = { email: 'admin@example.test', password: 'admin-password-1' };

export interface TestService {
  service: RunningService;
  database: TestDatabase;
  api: ApiClient;
  close(): Promise<void>;
}

/** The service in this process on a fresh PostgreSQL database, listening on a free port. */
export async function startTestService(
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<TestService> {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'cts-test-'));
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ADMIN_EMAIL: TEST_ADMIN.email,
    ADMIN_PASSWORD: TEST_ADMIN.password,
    INSTANCE_ID: 'test-instance',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const service = await startService(config, options);
  return {
    service,
    database,
    api: new ApiClient(service.url),
    close: async () => {
      await service.stop(1_000);
      await database.drop();
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** Talks to the service over real HTTP, like any client of the contract. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    /** Another fetch (undici's, with its own dispatcher) to pick the client address or trust a test CA. */
    private readonly fetchImpl: (url: string, init: RequestInit) => Promise<Response> = fetch,
  ) {}

  async request<T = any>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await this.fetchImpl(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text for the assertion message
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  async register(email: string, password = 'password-123', name = 'Fan'): Promise<string> {
    const response = await this.request('POST', '/api/auth/register', { body: { email, password, name } });
    if (response.status !== 201) throw new Error(`register failed: ${JSON.stringify(response.body)}`);
    return response.body.token;
  }

  async login(email: string, password: string): Promise<string> {
    const response = await this.request('POST', '/api/auth/login', { body: { email, password } });
    if (response.status !== 200) throw new Error(`login failed: ${JSON.stringify(response.body)}`);
    return response.body.token;
  }

  async adminToken(): Promise<string> {
    return this.login(TEST_ADMIN.email, TEST_ADMIN.password);
  }

  async createConcert(
    adminToken: string,
    tiers: Array<{ name: string; priceCents: number; capacity: number; maxPerOrder?: number }>,
    overrides: Record<string, unknown> = {},
  ): Promise<Concert> {
    const response = await this.request('POST', '/api/concerts', {
      token: adminToken,
      body: {
        title: 'Flash Sale Live',
        artist: 'The Testers',
        venue: 'Hall 1',
        startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
        tiers,
        ...overrides,
      },
    });
    if (response.status !== 201) throw new Error(`create concert failed: ${JSON.stringify(response.body)}`);
    return response.body.concert;
  }
}

/** Many customers at once, without paying scrypt for each: inserted directly, tokens from the service. */
export async function createCustomers(service: RunningService, count: number): Promise<string[]> {
  const { users, tokens } = service.services.auth;
  const run = randomBytes(3).toString('hex');
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const user = await users.insert({
        email: `fan-${run}-${i}@example.test`,
        name: `Fan ${i}`,
        passwordHash: 'not-a-login-account',
        role: 'customer',
      });
      if (!user) throw new Error('user insert failed');
      const principal: Principal = { userId: user.id, role: 'customer' };
      return tokens.issue(principal);
    }),
  );
}
