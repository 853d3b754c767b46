import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../functions/config/service-config';

describe('loadConfig', () => {
  it('gives the contract defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 5000,
      databaseUrl: undefined,
      dataDir: './.data',
      redisUrl: undefined,
      jwtSecret: undefined,
      holdSeconds: 600,
      perUserLimit: 10,
      admin: undefined,
      scheduleTimeZone: 'UTC',
      frontendOrigins: [],
      smtpUrl: undefined,
      emailFrom: 'tickets@localhost',
      backupDir: './backups',
    });
    expect(config.instanceId.length).toBeGreaterThan(0);
  });

  it('reads every variable of the contract', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://u@db:5432/tickets',
      REDIS_URL: 'redis://cache:6379',
      JWT_SECRET: 's'.repeat(32),
      HOLD_TTL_SECONDS: '120',
      TICKETS_PER_USER_LIMIT: '0',
      ADMIN_EMAIL: 'Boss@Example.com',
      ADMIN_PASSWORD: 'secret-password',
      INSTANCE_ID: 'backend-2',
      SCHEDULE_TIMEZONE: 'Asia/Singapore',
      FRONTEND_URL: 'https://a.example.com, http://localhost:5173',
      SMTP_URL: 'smtp://127.0.0.1:1025',
      EMAIL_FROM: 'box@example.com',
      BACKUP_DIR: '/var/backups/cts',
    });
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: 'postgres://u@db:5432/tickets',
      redisUrl: 'redis://cache:6379',
      holdSeconds: 120,
      perUserLimit: 0,
      admin: { email: 'boss@example.com', password: 'secret-password' },
      instanceId: 'backend-2',
      scheduleTimeZone: 'Asia/Singapore',
      frontendOrigins: ['https://a.example.com', 'http://localhost:5173'],
      smtpUrl: 'smtp://127.0.0.1:1025',
      emailFrom: 'box@example.com',
      backupDir: '/var/backups/cts',
    });
  });

  it.each([
    [{ HOLD_TTL_SECONDS: '0' }, 'HOLD_TTL_SECONDS'],
    [{ TICKETS_PER_USER_LIMIT: '-1' }, 'TICKETS_PER_USER_LIMIT'],
    [{ REDIS_URL: 'http://cache' }, 'REDIS_URL'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ ADMIN_PASSWORD: 'long-enough' }, 'ADMIN_EMAIL'],
    [{ FRONTEND_URL: 'not a url' }, 'FRONTEND_URL'],
    [{ SMTP_URL: 'mail.example.com' }, 'SMTP_URL'],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ REGISTRATIONS_PER_ADDRESS_PER_MINUTE: '-1' }, 'REGISTRATIONS_PER_ADDRESS_PER_MINUTE'],
    [{ WAITLIST_OFFER_SECONDS: '0' }, 'WAITLIST_OFFER_SECONDS'],
  ])('refuses %o with a message naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(variable));
  });

  it('reads the per-address limits, the proxy setting and the waitlist offer time', () => {
    expect(loadConfig({})).toMatchObject({
      trustProxy: false,
      registrationsPerAddressPerMinute: 10,
      wsConnectionsPerAddress: 50,
      queueJoinsPerAddressPerMinute: 60,
      waitlistOfferSeconds: 600,
    });
    expect(loadConfig({ HOLD_TTL_SECONDS: '90' }).waitlistOfferSeconds).toBe(90);
    expect(
      loadConfig({
        TRUST_PROXY: '2',
        REGISTRATIONS_PER_ADDRESS_PER_MINUTE: '0',
        WS_CONNECTIONS_PER_ADDRESS: '0',
        QUEUE_JOINS_PER_ADDRESS_PER_MINUTE: '5',
        WAITLIST_OFFER_SECONDS: '30',
      }),
    ).toMatchObject({
      trustProxy: 2,
      registrationsPerAddressPerMinute: 0,
      wsConnectionsPerAddress: 0,
      queueJoinsPerAddressPerMinute: 5,
      waitlistOfferSeconds: 30,
    });
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,loopback, ::1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      'loopback',
      '::1',
    ]);
  });
});
