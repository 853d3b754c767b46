import { addressBlock } from '../../functions/adapters/node/address-block';
/** A rate: `perSecond` on average, up to `burst` at once (a token bucket). */
export interface Rate {
  burst: number;
  perSecond: number;
}

/** What one client may cost a replica over WebSocket and Socket.IO (invariant 7). */
export interface ClientLimitSettings {
  /** Open connections (both transports together) per client address; 0 = no limit (WS_CONNECTIONS_PER_ADDRESS). */
  connectionsPerAddress: number;
  /** Frames (Socket.IO events) one connection may send. */
  framesPerConnection: Rate;
  /** `join-concert`s one connection may send. */
  joinsPerConnection: Rate;
  /** Frames all connections of one address may send together. */
  framesPerAddress: Rate;
  /** `join-concert`s all connections of one address may send together. */
  joinsPerAddress: Rate;
}

/**
 * Defaults: a page watching a few dozen concerts joins them at once and then sends almost nothing;
 * a flood is cut after its first burst. (API Gateway throttles routes per stage in AWS; this is the
 * shim's equivalent.)
 */
export const DEFAULT_CLIENT_LIMITS: ClientLimitSettings = {
  connectionsPerAddress: 50,
  framesPerConnection: { burst: 120, perSecond: 10 },
  joinsPerConnection: { burst: 100, perSecond: 5 },
  framesPerAddress: { burst: 1_000, perSecond: 100 },
  joinsPerAddress: { burst: 500, perSecond: 50 },
};

class TokenBucket {
  private tokens: number;
  private at = Date.now();

  constructor(private readonly rate: Rate) {
    this.tokens = rate.burst;
  }

  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.at) / 1000) * this.rate.perSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface AddressState {
  open: number;
  frames: TokenBucket;
  joins: TokenBucket;
}

/** One connection's budget: `allows(join)` answers whether one more frame (a join, or not) may run. */
export interface ConnectionBudget {
  allows(join: boolean): boolean;
  /** Frees the connection's place in its address's count (call once, when it closes). */
  release(): void;
}

/**
 * Why the server closed or refused a live connection (the `reason` of the log line and of the metric
 * `realtime_connections_refused_total`): over the per-address cap, over a frame or join budget, a frame over
 * the size limit (raw WebSocket 16 KB, closed with 1009; Socket.IO 4 KB), a refused `$connect` (bad token),
 * a connection the registry lost, an admin feed whose token no longer verifies.
 */
export type RefusalReason =
  | 'too-many-connections'
  | 'rate-limited'
  | 'frame-too-large'
  | 'unauthorized'
  | 'not-registered'
  | 'admin-token-revoked';

/** One closed or refused connection: never a token, only where it came from and why. */
export interface ConnectionRefusal {
  transport: 'ws' | 'socket.io';
  /** The client address as the limits key it (TRUST_PROXY applied). */
  address: string;
  reason: RefusalReason;
}

/** Addresses with no open connection are forgotten past this many (their budgets refill meanwhile). */
const MAX_IDLE_ADDRESSES = 10_000;

/**
 * Per-address connection counts and per-connection / per-address frame and join budgets, shared by the
 * raw WebSocket gateway and Socket.IO so that both transports count together.
 */
export class ClientLimits {
  private readonly addresses = new Map<string, AddressState>();

  /** @param onRefused told of every connection a gateway closes or refuses (to log and count it) */
  constructor(
    readonly settings: ClientLimitSettings = DEFAULT_CLIENT_LIMITS,
    private readonly onRefused: (refusal: ConnectionRefusal) => void = () => {},
  ) {}

  /** A gateway closed or refused a connection: reported once per connection, by the gateway that did it. */
  refused(refusal: ConnectionRefusal): void {
    this.onRefused(refusal);
  }

  /** A budget for a new connection from `address`, or undefined when the address holds its most already. */
  open(address: string): ConnectionBudget | undefined {
    // IPv6 counts by /64: one subscriber's network is one client.
    const state = this.address(addressBlock(address));
    const cap = this.settings.connectionsPerAddress;
    if (cap > 0 && state.open >= cap) return undefined;
    state.open++;
    const frames = new TokenBucket(this.settings.framesPerConnection);
    const joins = new TokenBucket(this.settings.joinsPerConnection);
    let released = false;
    return {
      allows: (join) =>
        frames.take() && state.frames.take() && (!join || (joins.take() && state.joins.take())),
      release: () => {
        if (released) return;
        released = true;
        state.open--;
      },
    };
  }

  private address(address: string): AddressState {
    let state = this.addresses.get(address);
    if (!state) {
      if (this.addresses.size >= MAX_IDLE_ADDRESSES) {
        for (const [key, known] of this.addresses) if (known.open === 0) this.addresses.delete(key);
      }
      state = {
        open: 0,
        frames: new TokenBucket(this.settings.framesPerAddress),
        joins: new TokenBucket(this.settings.joinsPerAddress),
      };
      this.addresses.set(address, state);
    }
    return state;
  }
}

/** The `error` message sent before a connection is closed for going over its budget. */
export const RATE_LIMITED_MESSAGE = {
  type: 'error',
  code: 'RATE_LIMITED',
  message: 'Too many messages from this connection or address: closing it; reconnect later and send less',
} as const;

/** The `error` message sent before a connection over the per-address cap is closed. */
export const TOO_MANY_CONNECTIONS_MESSAGE = {
  type: 'error',
  code: 'RATE_LIMITED',
  message: 'Too many connections from this address: close one first',
} as const;
