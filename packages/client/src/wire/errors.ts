/**
 * The error shape of the contract (API.md section 7): every error body is
 * `{"message": string, "errors"?: {"<key>": [string, ...]}}`.
 */
export interface ApiErrorBody {
  message: string;
  /** Per parameter or field (`page.size`, `filter.facet`, `path`): what is wrong with it. */
  errors?: Record<string, string[]>;
}

/** The statuses the API answers errors with, and their fixed messages where they have one. */
export const API_ERROR_MESSAGES = {
  400: 'Malformed JSON body.',
  401: 'Unauthenticated.',
  403: 'This action is unauthorized.',
  404: 'Not Found.',
  409: undefined,
  412: 'Precondition Failed.',
  413: undefined,
  415: undefined,
  422: undefined,
  429: 'Too Many Attempts.',
  503: 'Service Unavailable.',
} as const;

export type ApiErrorStatus = keyof typeof API_ERROR_MESSAGES;

/**
 * An error reply over a message transport: the HTTP status next to the HTTP error body
 * (`{"status": 404, "message": "Image 7 not found."}`).
 */
export interface MessageErrorReply extends ApiErrorBody {
  status: number;
}

/** Whether a value is a `MessageErrorReply`. */
export function isMessageErrorReply(value: unknown): value is MessageErrorReply {
  const reply = value as Partial<MessageErrorReply> | null;
  return (
    typeof reply === 'object' &&
    reply !== null &&
    typeof reply.status === 'number' &&
    typeof reply.message === 'string'
  );
}
