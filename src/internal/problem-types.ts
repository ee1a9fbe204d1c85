// Problem types registered by the IETF RateLimit fields draft (draft-ietf-httpapi-ratelimit-headers), shared by
// the security plugin (429, and 503 when a limit cannot be checked) and the health plugin (503 load shedding).

/** A request exceeded one or more quota policies; the `violated-policies` extension names them. */
export const QUOTA_EXCEEDED_TYPE = 'https://iana.org/assignments/http-problem-types#quota-exceeded'

/** The server cannot serve the request for now because its capacity is temporarily reduced. */
export const TEMPORARY_REDUCED_CAPACITY_TYPE =
  'https://iana.org/assignments/http-problem-types#temporary-reduced-capacity'
