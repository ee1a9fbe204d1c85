import { HttpError, type HttpErrorOptions } from './http-error.js'

/** Builds an {@link HttpError} of one status: `(detail?, options?) => HttpError`. */
export type HttpErrorFactory = (detail?: string, options?: HttpErrorOptions) => HttpError

function factory(status: number): HttpErrorFactory {
  return (detail, options) => new HttpError(status, detail, options)
}

/**
 * One factory per 4xx/5xx status, named as in `@fastify/sensible`.
 *
 * @example
 * throw httpErrors.notFound('User not found', { code: 'USER_NOT_FOUND' })
 * @see docs/errors.md
 */
export const httpErrors = Object.freeze({
  badRequest: factory(400),
  unauthorized: factory(401),
  paymentRequired: factory(402),
  forbidden: factory(403),
  notFound: factory(404),
  methodNotAllowed: factory(405),
  notAcceptable: factory(406),
  proxyAuthenticationRequired: factory(407),
  requestTimeout: factory(408),
  conflict: factory(409),
  gone: factory(410),
  lengthRequired: factory(411),
  preconditionFailed: factory(412),
  payloadTooLarge: factory(413),
  uriTooLong: factory(414),
  unsupportedMediaType: factory(415),
  rangeNotSatisfiable: factory(416),
  expectationFailed: factory(417),
  imATeapot: factory(418),
  misdirectedRequest: factory(421),
  unprocessableEntity: factory(422),
  locked: factory(423),
  failedDependency: factory(424),
  tooEarly: factory(425),
  upgradeRequired: factory(426),
  preconditionRequired: factory(428),
  tooManyRequests: factory(429),
  requestHeaderFieldsTooLarge: factory(431),
  unavailableForLegalReasons: factory(451),
  internalServerError: factory(500),
  notImplemented: factory(501),
  badGateway: factory(502),
  serviceUnavailable: factory(503),
  gatewayTimeout: factory(504),
  httpVersionNotSupported: factory(505),
  variantAlsoNegotiates: factory(506),
  insufficientStorage: factory(507),
  loopDetected: factory(508),
  notExtended: factory(510),
  networkAuthenticationRequired: factory(511),
})
