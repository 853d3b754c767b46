// Plain data (no import): the alarms' thresholds, which tests of the service compare its behaviour with
// without loading cdktf (the infrastructure toolchain is a separate install, stacks/package.json).

/** The relay's lag (ms) above which the monitoring stack's alarm fires: a change's age when it is pushed. */
export const RELAY_LAG_ALARM_MS = 15_000;
