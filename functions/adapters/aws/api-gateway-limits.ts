/**
 * API Gateway WebSocket quota "Message payload size: 128 KB" (sent in frames of 32 KB):
 * docs.aws.amazon.com/apigateway/latest/developerguide/limits.html. A larger PostToConnection answers 413.
 * A module of its own, without the SDK, so a pusher's limit is known before its client is loaded.
 */
export const API_GATEWAY_MAX_MESSAGE_BYTES = 128 * 1024;
