/** Media type of the IETF draft "Health Check Response Format for HTTP APIs". */
export const HEALTH_JSON = 'application/health+json'

const checkEntry = {
  type: 'object',
  required: ['status', 'time'],
  properties: {
    status: { type: 'string', enum: ['pass', 'warn', 'fail'] },
    time: { type: 'string', format: 'date-time' },
    observedValue: {},
    observedUnit: { type: 'string' },
    output: { type: 'string' },
  },
} as const

/** JSON Schema of a health document (`application/health+json`). */
export const healthDocumentSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['pass', 'warn', 'fail'] },
    version: { type: 'string' },
    output: { type: 'string' },
    checks: { type: 'object', additionalProperties: { type: 'array', items: checkEntry } },
  },
} as const

function response(description: string) {
  return { description, content: { [HEALTH_JSON]: { schema: healthDocumentSchema } } }
}

/** Route schema of `<prefix>/live`. */
export const liveRouteSchema = {
  tags: ['health'],
  summary: 'Liveness probe',
  description: 'Answers while the process can serve. Never runs dependency checks; 503 while over a load limit.',
  response: {
    200: response('The process is alive'),
    503: response('The process is over a load limit'),
  },
}

/** Route schema of `<prefix>/ready`. */
export const readyRouteSchema = {
  tags: ['health'],
  summary: 'Readiness probe',
  description:
    'Runs the registered dependency checks (cached). 200 when every critical check passes (status pass or warn); 503 when a critical check fails, under load or while shutting down.',
  response: {
    200: response('Ready to receive traffic'),
    503: response('Not ready: a critical check failed, the process is overloaded or shutting down'),
  },
}
