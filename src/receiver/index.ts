/**
 * Verify helpers for people who receive Hookrelay webhooks, exported as `hookrelay/receiver`.
 *
 * @example
 * import { verify } from 'hookrelay/receiver'
 * verify('standard', { secret: process.env.WEBHOOK_SECRET!, headers: req.headers, body: rawBody })
 */
export type { SignatureScheme } from '../core/signing/index.ts'
export { type WebhookVerificationCode, WebhookVerificationError } from './errors.ts'
export type { HeadersInput } from './headers.ts'
export {
  DEFAULT_TOLERANCE_SECONDS,
  type VerifyInput,
  type VerifyStandardInput,
  verify,
  verifyGithub,
  verifyServiceStack,
  verifyStandard,
  verifySuperOffice,
} from './verify.ts'
