/** The API's own request/response types (type-only: nothing of the server is bundled). */
import type {
  QueueOverviewResponse,
  QueueResponse,
  UpdateQueueRequest,
} from '../../../functions/handlers/http/contract-types';

/** One concert's sold (confirmed) and held (live holds) tickets, from the admin-only GET /api/admin/sales. */
export type { ConcertSales } from '../../../functions/core/sales.service';
export type * from '../../../functions/handlers/http/contract-types';

/** The waiting room (../shared/API.md, "Waiting room"): a fan's place, and the organiser's view of it. */
export type Queue = QueueResponse['queue'];
export type AdminQueue = QueueOverviewResponse;
export type AdminQueueChange = UpdateQueueRequest;
