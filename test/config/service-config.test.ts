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
  ])('refuses %o with a message naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(variable));
  });
});
