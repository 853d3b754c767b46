/** The API's own request/response types (type-only: nothing of the server is bundled). */

/** One concert's sold (confirmed) and held (live holds) tickets, from the admin-only GET /api/admin/sales. */
export type { ConcertSales } from '../../../functions/core/sales.service';
export type * from '../../../functions/handlers/http/contract-types';
