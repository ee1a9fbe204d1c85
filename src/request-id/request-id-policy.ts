// The typed contract through which other plugins see what keelRequestId sends, instead of reading its options:
// `app.requestIdPolicy`. keelOpenApi declares the id response header from it. This file imports nothing.

/**
 * What keelRequestId sends, as `app.requestIdPolicy` (read-only, frozen).
 * @see docs/request-id.md#apprequestidpolicy
 */
export interface KeelRequestIdPolicy {
  /** The response header every response carries the request id in (lowercase), e.g. `x-request-id`. */
  readonly header: string
}
