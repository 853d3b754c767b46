/** The API's own request/response types (type-only: nothing of the server is bundled). */
export type * from '../../../functions/handlers/http/contract-types';
