/** Why a webhook failed verification. Stable: match on it, not on the message. */
export type WebhookVerificationCode = 'missing_header' | 'bad_signature' | 'timestamp_out_of_range'

/**
 * Thrown by the verify helpers when a request is not a genuine, fresh webhook. Answer 400 or
 * 401 and do not process the body.
 *
 * @example
 * try { verify('standard', { secret, headers: req.headers, body: rawBody }) }
 * catch (err) { if (err instanceof WebhookVerificationError) return reply.code(401).send() }
 */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError'
  readonly code: WebhookVerificationCode

  constructor(code: WebhookVerificationCode, message: string) {
    super(message)
    this.code = code
  }
}
