import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { Services } from '../../functions/composition/services';
import { getConcert } from '../../functions/core/concerts.service';
import { TicketingError } from '../../functions/core/errors';
import { concertUpdate, type RealtimeMessage } from '../../functions/core/realtime';
import { pathId } from '../../functions/handlers/http/schemas';
import { errorMessage } from '../../functions/handlers/websocket/websocket-handler';

export const concertRoom = (concertId: string) => `concert:${concertId}`;
export const ADMIN_ROOM = 'admins';

/**
 * Socket.IO at `/socket.io/` with the contract's event names, for browser code written with
 * socket.io-client: `socket.emit('join-concert', id); socket.on('concert-update', fn)`.
 */
export class SocketIoGateway {
  readonly io: Server;

  constructor(httpServer: HttpServer, services: Services, allowedOrigins: string[]) {
    this.io = new Server(httpServer, {
      path: '/socket.io/',
      serveClient: false,
      destroyUpgrade: false, // `/ws` upgrades belong to the raw WebSocket gateway
      maxHttpBufferSize: 4096,
      cors: allowedOrigins.length > 0 ? { origin: allowedOrigins } : undefined,
    });
    this.io.on('connection', (socket) => {
      const refuse = (error: unknown) => socket.emit('error', errorMessage(error));
      socket.on('join-concert', async (concertId: unknown) => {
        try {
          const id = parseConcertId(concertId);
          const concert = await getConcert(services.storedConcerts, id);
          await socket.join(concertRoom(id));
          socket.emit('concert-update', concertUpdate(concert));
        } catch (error) {
          refuse(error);
        }
      });
      socket.on('leave-concert', async (concertId: unknown) => {
        try {
          await socket.leave(concertRoom(parseConcertId(concertId)));
        } catch (error) {
          refuse(error);
        }
      });
      socket.on('join-admin', async (payload: unknown) => {
        const auth = socket.handshake.auth as { token?: unknown };
        const token =
          typeof payload === 'string' ? payload : typeof auth?.token === 'string' ? auth.token : undefined;
        const principal = token ? await services.tokens.verify(token) : null;
        if (principal?.role === 'admin') await socket.join(ADMIN_ROOM);
        else refuse(new TicketingError('FORBIDDEN', 'join-admin needs an admin token'));
      });
    });
  }

  /** Sends to this replica's sockets in the room; Socket.IO encodes the packet once for all of them. */
  broadcast(room: string, message: RealtimeMessage): void {
    this.io.to(room).emit(message.type, message);
  }

  /** Disconnects the clients; the HTTP server itself is closed by its owner. */
  close(): void {
    this.io.disconnectSockets(true);
    this.io.engine.close();
  }
}

function parseConcertId(value: unknown): string {
  const id = typeof value === 'string' ? value : (value as { concertId?: unknown } | null)?.concertId;
  const parsed = pathId.safeParse(id);
  if (!parsed.success) throw new TicketingError('VALIDATION_FAILED', 'join-concert takes a concert id');
  return parsed.data.toLowerCase();
}
