const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/**
 * A five-field cron (the schedule table's) as EventBridge wants it: six fields, one of day-of-month and
 * day-of-week must be `?`, days of the week by name, steps written as `0/n`.
 */
export function toEventBridgeCron(cron: string): string {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`expected five cron fields: "${cron}"`);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields.map((field) =>
    field.replace(/^\*\//, '0/'),
  ) as [string, string, string, string, string];
  const weekdays = dayOfWeek === '*' ? '?' : dayOfWeek.replace(/\d/g, (d) => DAYS[Number(d) % 7] ?? d);
  const monthDays = dayOfWeek !== '*' && dayOfMonth === '*' ? '?' : dayOfMonth;
  return `cron(${minute} ${hour} ${monthDays} ${month} ${weekdays} *)`;
}
