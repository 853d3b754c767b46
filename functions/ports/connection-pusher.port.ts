/** Sends one text frame to one connection; 'gone' when the client is no longer there (HTTP 410). */
export interface ConnectionPusher {
  post(connectionId: string, data: string): Promise<'sent' | 'gone'>;
}
